# RS_CHECK_CFLAG(FLAG, [VAR]): append FLAG to VAR (default WARN_CFLAGS)
# when the C compiler accepts it (with -Werror, so warnings count).
AC_DEFUN([RS_CHECK_CFLAG], [
  AS_VAR_PUSHDEF([rs_cv], [rs_cv_cflag_$1])
  AC_CACHE_CHECK([whether $CC accepts $1], [rs_cv], [
    rs_save_CFLAGS="$CFLAGS"
    CFLAGS="$CFLAGS -Werror $1"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AS_VAR_SET([rs_cv], [yes])], [AS_VAR_SET([rs_cv], [no])])
    CFLAGS="$rs_save_CFLAGS"])
  AS_VAR_IF([rs_cv], [yes], [m4_default([$2], [WARN_CFLAGS])="$m4_default([$2], [WARN_CFLAGS]) $1"])
  AS_VAR_POPDEF([rs_cv])
])
