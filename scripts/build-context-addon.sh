#!/usr/bin/env bash
# Builds the agent's context addon (native/context) into dist/native, with the
# headers of the Node.js that runs the build. Without a C++ compiler or those
# headers the agent still works, carrying its context with async_hooks (at a
# higher cost): say so in one line and go on.
set -euo pipefail
cd "$(dirname "$0")/.."
node_dir=$(dirname "$(dirname "$(command -v node)")")
include=""
for d in "$node_dir/include/node" /usr/include/node /usr/local/include/node; do
  if [ -f "$d/node.h" ]; then include=$d; break; fi
done
if [ -z "$include" ] || ! command -v g++ >/dev/null; then
  echo "redtrace build: no g++ or no Node.js headers (node.h): the agent will use async_hooks for its context, at a higher cost" >&2
  exit 0
fi
mkdir -p dist/native
g++ -O2 -shared -fPIC -Wall -I"$include" -o dist/native/redtrace_context.node native/context/context.cc
