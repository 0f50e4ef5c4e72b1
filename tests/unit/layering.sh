#!/bin/sh
# The layering rule, checked mechanically: core never
# includes http/, formats/ or dialects/; formats never includes core/;
# db never includes http/, formats/ or dialects/; scim/ (the SCIM filter
# language) includes only util/.
top=${top_srcdir:-.}
fail=0
check() {
	dir=$1; shift
	for bad in "$@"; do
		if grep -n "#include \"\.\./$bad/" "$top/src/$dir"/*.c "$top/src/$dir"/*.h 2>/dev/null; then
			echo "layering: src/$dir must not include src/$bad"
			fail=1
		fi
	done
}
check core http formats dialects auth
check formats core db dialects http auth
check db http formats dialects core auth
check util http formats dialects core db auth
check auth http formats dialects core db
check scim http formats dialects core db auth
[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
