# bash completion for hivectl: source it, or put it in /etc/bash_completion.d/.
# Made by `hivectl completion bash`; it asks `hivectl __complete` what may come next.
_hivectl() {
  local IFS=$'\n'
  COMPREPLY=($(hivectl __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _hivectl hivectl
