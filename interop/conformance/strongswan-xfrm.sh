#!/bin/bash
# strongswan-xfrm.sh IPSECREF OUTDIR [CONFORMANCE-OPTION...]: the conformance catalogue
# against --target strongswan-xfrm inside one user-mode Linux guest (run-target.sh says
# how, and what it writes).
exec "$(dirname "$0")/run-target.sh" strongswan-xfrm "$@"
