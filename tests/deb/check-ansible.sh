#!/bin/bash
# check-ansible.sh PLAYBOOK: ansible-playbook --syntax-check on the deployment guide's playbook.
# Exit 77 (skip) without ansible-playbook (apt-get install ansible-core).
set -euo pipefail
playbook=${1:?usage: check-ansible.sh PLAYBOOK}
if ! command -v ansible-playbook >/dev/null 2>&1; then
        echo "SKIP: ansible-playbook is missing (apt-get install ansible-core)"
        exit 77
fi
export ANSIBLE_LOCAL_TEMP=${TMPDIR:-/tmp} ANSIBLE_NOCOLOR=1
ansible-playbook -i localhost, --syntax-check "$playbook"
