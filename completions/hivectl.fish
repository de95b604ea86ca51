# fish completion for hivectl: put it in ~/.config/fish/completions/hivectl.fish.
# Made by `hivectl completion fish`; it asks `hivectl __complete` what may come next.
function __hivectl_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    hivectl __complete $words[2..-1] "$current" 2>/dev/null
end
complete -c hivectl -f -a '(__hivectl_complete)'
