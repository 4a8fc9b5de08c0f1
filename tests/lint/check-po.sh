#!/bin/sh
# The Japanese catalogue covers every staff-facing message: every source file that marks
# strings with _() is listed in po/POTFILES, and every msgid extracted from them has a
# (non-fuzzy) translation in po/ja.po. To update: add the file to po/POTFILES, then
#   ninja -C BUILD mamori-update-po   and translate the new entries in po/ja.po.
set -eu
src="$1"
command -v xgettext >/dev/null 2>&1 || { echo "xgettext not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
rc=0
grep -lE '(^|[^A-Za-z0-9_])(N?_|ngettext)\("' agent/*.c cli/*.c common/*.c 2>/dev/null | sort > "$tmp/marked" || true
while read -r f; do
        if ! grep -qx "$f" po/POTFILES; then
                echo "$f uses _() but is not listed in po/POTFILES"
                rc=1
        fi
done < "$tmp/marked"
grep -v '^#' po/POTFILES | grep -v '^$' > "$tmp/files"
xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 -o "$tmp/mamori.pot" -f "$tmp/files"
for po in po/*.po; do
        if msgcmp "$po" "$tmp/mamori.pot" 2>"$tmp/err"; then
                echo "$po: complete"
        else
                grep -v "this message is not used" "$tmp/err" | sed 's/^/  /'
                echo "$po: messages without a translation (see above)"
                rc=1
        fi
done
exit $rc
