#!/bin/bash
# gateway.sh IPSECREF OUTDIR [CONFORMANCE-OPTION...]: the conformance catalogue
# against --target gateway (run-target.sh says how, and what it writes).
exec "$(dirname "$0")/run-target.sh" gateway "$@"
