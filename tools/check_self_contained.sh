#!/usr/bin/env bash
# Checks that the repository stands on its own: nothing in it refers to a file outside it.
#
#   1. No file names the old design pages kept outside the repository: a path into a
#      sibling `shared` directory, or one of the four page names in upper case
#      (architecture, domain, api, style + ".md") unless it is the docs/ page of this
#      repository. Every offending line is printed as file:line: text.
#   2. Every relative markdown link (`](path)`, not http(s), mailto or a bare #anchor) in
#      the repository's markdown files (README.md, docs/*.md, ...) points to a file or
#      directory that exists inside the repository.
#
# Files checked: those git tracks plus new ones not yet added, never ignored ones (build
# directories); outside a git checkout, every file but build/ and .git/.
# Exit 0 and one OK line when clean; 1 when something was found; 2 when it could not run.
#
#   tools/check_self_contained.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)

in_git=0
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then in_git=1; fi

# The patterns are written so that this script does not match them itself.
outside_dir='[.][.]/shared|shared[/]design'
pages='(ARCHITECTURE|DOMAIN|API|STYLE)[.]md'

files=()
while IFS= read -r -d '' f; do
  [[ -f $f ]] && files+=("$f")
done < <(
  if ((in_git)); then
    git ls-files -z --cached --others --exclude-standard
  else
    find . \( -path ./build -o -path ./.git \) -prune -o -type f -printf '%P\0'
  fi
)
if ((${#files[@]} == 0)); then
  echo "check_self_contained: no files found under $root" >&2
  exit 2
fi

problems=0

# --- 1. references to pages outside the repository --------------------------------------
set +e
hits=$(grep -nIH -E -- "$outside_dir|$pages" "${files[@]}")
rc=$?
set -e
if ((rc > 1)); then
  echo "check_self_contained: grep failed (exit $rc)" >&2
  exit 2
fi
if [[ -n $hits ]]; then
  # A hit counts unless its only page names are this repository's docs/ pages.
  offending=$(awk -v dir_re="$outside_dir" -v page_re="$pages" '
    {
      text = $0
      sub(/^[^:]*:[0-9]+:/, "", text)
      if (text ~ dir_re) { print; next }
      gsub("docs/" page_re, "", text)
      if (text ~ ("(^|[^A-Za-z0-9_])" page_re)) print
    }' <<<"$hits")
  if [[ -n $offending ]]; then
    echo "References to files outside the repository (point them at docs/ instead):"
    echo "$offending"
    problems=$((problems + $(wc -l <<<"$offending")))
  fi
fi

# --- 2. relative markdown links ------------------------------------------------------------
links=0
broken=()
for md in "${files[@]}"; do
  [[ $md == *.md ]] || continue
  dir=$(dirname "$md")
  # "line<TAB>target" for every ](target) outside fenced code blocks.
  while IFS=$'\t' read -r line target; do
    target="${target#"${target%%[![:space:]]*}"}"  # leading blanks
    target="${target%% *}"                           # drop a "title"
    target="${target#<}"
    target="${target%>}"
    case "$target" in
      '' | '#'* | http://* | https://* | mailto:*) continue ;;
    esac
    path="${target%%#*}"
    path="${path%%\?*}"
    [[ -n $path ]] || continue
    links=$((links + 1))
    if [[ $path == /* ]]; then
      resolved=$(realpath -m -- "$root$path")
    else
      resolved=$(realpath -m -- "$root/$dir/$path")
    fi
    why=""
    if [[ $resolved != "$root" && $resolved != "$root/"* ]]; then
      why="outside the repository"
    elif [[ ! -e $resolved ]]; then
      why="no such file"
    elif ((in_git)) && git check-ignore -q -- "$resolved" 2>/dev/null; then
      why="an ignored (build) file"
    fi
    if [[ -n $why ]]; then
      broken+=("$md:$line: ]($target) -> ${resolved#"$root/"}: $why")
    fi
  done < <(awk '
    /^[[:space:]]*(```|~~~)/ { fence = !fence; next }
    fence { next }
    {
      rest = $0
      while (match(rest, /\]\([^)]*\)/)) {
        print FNR "\t" substr(rest, RSTART + 2, RLENGTH - 3)
        rest = substr(rest, RSTART + RLENGTH)
      }
    }' "$md")
done
if ((${#broken[@]} > 0)); then
  echo "Markdown links that do not resolve to a file in the repository:"
  printf '%s\n' "${broken[@]}"
  problems=$((problems + ${#broken[@]}))
fi

if ((problems > 0)); then
  echo "check_self_contained: FAILED: $problems problem(s) in ${#files[@]} files" >&2
  exit 1
fi
echo "check_self_contained: OK (${#files[@]} files, no reference outside the repository, $links relative markdown links resolve)"
