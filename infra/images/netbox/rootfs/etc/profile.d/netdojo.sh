# netdojo: a friendly interactive shell (bash completion, `ip` colours off for plain terminals).
if [ -n "$BASH_VERSION" ] && [ -n "$PS1" ] && [ -f /usr/share/bash-completion/bash_completion ]; then
  . /usr/share/bash-completion/bash_completion
fi
export LESS="${LESS:--R}"
