# Doxygen's INPUT_FILTER for weft's headers, which keep plain /* */
# comments: a comment that starts a line and is directly followed by a
# declaration (WEFT_API, typedef, enum, struct, #define) becomes a /** */
# doc comment for it; a comment after code on an indented line (an
# enumerator, a field) becomes /**< */; the header's first comment
# describes the file. Section rules (/* ---- */) and comments before a
# blank line stay plain. Lines are passed one for one, so Doxygen's line
# numbers are the header's (the file comment ends in "@file").
function flush(next_line,   i) {
  if (first) {
    sub(/^\/\*/, "/**", held[1])
    sub(/\*\/[ \t]*$/, "@file */", held[n])
    first = 0
  } else if (next_line ~ /^(WEFT_API|typedef|enum|struct|#define)/) {
    sub(/^\/\*/, "/**", held[1])
  }
  for (i = 1; i <= n; i++) print held[i]
  n = 0
}
BEGIN { first = 1; n = 0; open_comment = 0 }
{
  line = $0
  if (open_comment) {
    held[++n] = line
    if (line ~ /\*\//) open_comment = 0
    next
  }
  if (line ~ /^\/\*/ && line !~ /^\/\* ?--/) {
    held[++n] = line
    if (line !~ /\*\//) open_comment = 1
    next
  }
  if (n > 0) flush(line)
  if (line ~ /^[ \t]+[^ \t\/*].*[^ \t][ \t]+\/\* /) sub(/\/\* /, "/**< ", line)
  print line
}
END { if (n > 0) flush("") }
