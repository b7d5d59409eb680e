# Renders nginx.conf.template exactly as deploy/local's renderTemplate does (the proxy image runs
# this at every start; a unit test checks that the two agree):
# - every {{NAME}} becomes the value of the environment variable BERTH_TPL_NAME; nginx's own
#   $variables are left alone;
# - the lines between `#{{#NAME}}` and `#{{/NAME}}` (each alone on its line) stay when NAME is
#   `on` and go when it is `off`; sections may nest;
# - it fails (exit 2, reasons on stderr, no output) when a placeholder in a kept line has no
#   value, a value names nothing in the template, or a section is malformed.
# `names` lists the names that have values:
#   BERTH_TPL_A=… BERTH_TPL_B=on awk -v names="A B" -f render-template.awk nginx.conf.template
BEGIN {
  count = split(names, list, " ")
  for (i = 1; i <= count; i++) given[list[i]] = 1
  depth = 0
  dropping = 0
}
function problem(text) {
  problems = problems "; " text
}
/^[ \t]*#[{][{][#\/][A-Z0-9_]+[}][}][ \t]*$/ {
  marker = $0
  sub(/^[ \t]*#[{][{]/, "", marker)
  sub(/[}][}][ \t]*$/, "", marker)
  kind = substr(marker, 1, 1)
  name = substr(marker, 2)
  known[name] = 1
  if (kind == "#") {
    value = ENVIRON["BERTH_TPL_" name]
    if (!(name in given)) missing["#" name] = 1
    else if (value != "on" && value != "off") problem("{{#" name "}} must be on or off, not \"" value "\"")
    stack[++depth] = name
    keep[depth] = (name in given) && value == "on"
    if (!keep[depth]) dropping++
  } else {
    if (depth == 0 || stack[depth] != name) problem("{{/" name "}} closes no open {{#" name "}}")
    else {
      if (!keep[depth]) dropping--
      depth--
    }
  }
  next
}
{
  line = $0
  out = ""
  while (match(line, /[{][{][A-Z0-9_]+[}][}]/)) {
    name = substr(line, RSTART + 2, RLENGTH - 4)
    known[name] = 1
    value = ""
    if (name in given) value = ENVIRON["BERTH_TPL_" name]
    else if (dropping == 0) missing[name] = 1
    out = out substr(line, 1, RSTART - 1) value
    line = substr(line, RSTART + RLENGTH)
  }
  if (dropping == 0) rendered[++lines] = out line
}
END {
  for (i = depth; i >= 1; i--) problem("{{#" stack[i] "}} is never closed")
  head = ""
  for (name in missing) head = head "; no value for {{" name "}}"
  for (i = 1; i <= count; i++) if (!(list[i] in known)) head = head "; {{" list[i] "}} not in the template"
  problems = head problems
  if (problems != "") {
    print "nginx template: " substr(problems, 3) > "/dev/stderr"
    exit 2
  }
  for (i = 1; i <= lines; i++) print rendered[i]
}
