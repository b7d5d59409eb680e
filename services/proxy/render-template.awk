# Renders nginx.conf.template exactly as deploy/local's renderTemplate does (the proxy image runs
# this at every start; a unit test checks the two agree): every {{NAME}} becomes the value of
# the environment variable BERTH_TPL_NAME; nginx's own $variables are left alone. It fails (exit
# 2, reasons on stderr, no output) when a placeholder has no value or a value no placeholder.
#   BERTH_TPL_A=… BERTH_TPL_B=… awk -v names="A B" -f render-template.awk nginx.conf.template
BEGIN {
  count = split(names, list, " ")
  for (i = 1; i <= count; i++) given[list[i]] = 1
}
{
  line = $0
  out = ""
  while (match(line, /[{][{][A-Z0-9_]+[}][}]/)) {
    name = substr(line, RSTART + 2, RLENGTH - 4)
    value = ""
    if (name in given) {
      used[name] = 1
      value = ENVIRON["BERTH_TPL_" name]
    } else {
      missing[name] = 1
    }
    out = out substr(line, 1, RSTART - 1) value
    line = substr(line, RSTART + RLENGTH)
  }
  rendered[++lines] = out line
}
END {
  problems = ""
  for (name in missing) problems = problems "; no value for {{" name "}}"
  for (i = 1; i <= count; i++) if (!(list[i] in used)) problems = problems "; {{" list[i] "}} not in the template"
  if (problems != "") {
    print "nginx template: " substr(problems, 3) > "/dev/stderr"
    exit 2
  }
  for (i = 1; i <= lines; i++) print rendered[i]
}
