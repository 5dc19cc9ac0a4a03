#!/bin/bash
# strongswan.sh IPSECREF OUTDIR [CONFORMANCE-OPTION...]: the conformance catalogue
# against --target strongswan (run-target.sh says how, and what it writes).
exec "$(dirname "$0")/run-target.sh" strongswan "$@"
