# commands.jq: the commands a shell script calls, from shfmt's syntax tree
# (shfmt -ln bash --to-json).  One line per call: "LINE<TAB>cmd<TAB>NAME",
# or "LINE<TAB>script<TAB>CODE" for code given as a string (bash -c, trap,
# a guest command), which the caller parses in turn; and one line per
# function the script defines: "LINE<TAB>func<TAB>NAME".  A word that is
# not literal ("$tool", $(...)) names no command and is passed over.

# The text of a literal word, or null.
def lit:
  [.Parts[]? |
    if .Type == "Lit" or .Type == "SglQuoted" then .Value
    elif .Type == "DblQuoted" then
      [.Parts[]? | if .Type == "Lit" then .Value else null end] |
      if any(. == null) then null else join("") end
    else null end] |
  if any(. == null) then null else join("") end;

# Drops the leading words that match RE.
def dropping(re):
  if length > 0 and (.[0] | type) == "string" and (.[0] | test(re))
  then .[1:] | dropping(re) else . end;

# Drops options, and the argument of those in ARGOPTS.
def options(argopts):
  if length == 0 or (.[0] | type) != "string" then .
  elif .[0] == "--" then .[1:]
  elif (.[0] | test("^-.")) then
    if (.[0] | IN(argopts[])) then .[2:] else .[1:] end | options(argopts)
  else . end;

# The code string after a -c option (bash -c CODE, sh -euc CODE).
def script_after_c:
  (to_entries | map(select((.value | type) == "string" and
    (.value | test("^-[a-zA-Z]*c[a-zA-Z]*$")))) | first) as $c |
  if $c == null then empty
  else .[$c.key + 1] | select(type == "string") | {script: .} end;

# The commands a call's words run: [name, ...] and {script: CODE}.
def calls:
  if length == 0 or (.[0] | type) != "string" then empty
  else .[0] as $c | .[1:] as $rest |
    if $c == "run" then $rest | dropping("^(-[0-9]+|!|--separate-stderr|--keep-empty-lines|--)$") | calls
    elif $c == "!" or $c == "exec" or $c == "nohup" or $c == "time" or $c == "builtin" then $rest | calls
    elif $c == "command" then
      if ($rest[0] // "" | test("^-[vV]")) then empty else $rest | calls end
    elif $c == "requires" then $rest[] | select(type == "string")
    elif $c == "start_peer" then $c, ($rest[1:] | calls)
    elif $c == "wait_until" then $c, ($rest[2:] | calls)
    elif $c == "timeout" then $c, ($rest | options(["-s", "-k", "--signal", "--kill-after"]) | .[1:] | calls)
    elif $c == "env" then $c, ($rest | options(["-u", "-C", "--unset", "--chdir"]) | dropping("^[A-Za-z_][A-Za-z0-9_]*=") | calls)
    elif $c == "setsid" or $c == "nice" or $c == "stdbuf" or $c == "setpriv" or $c == "unshare" or $c == "xargs" then
      $c, ($rest | options(["-n", "-I", "-P", "-d", "-s", "-L", "--adjustment"]) | calls)
    elif $c == "trap" then $c, ($rest[0] | select(type == "string") | {script: .})
    elif $c == "bash" or $c == "sh" then $c, ($rest | script_after_c)
    elif $c == "qga-exec" or $c == "vmtest" or $c == "qemu-launch" then
      $c, ($rest | (map(. // "") | index("--")) as $i |
        if $i == null then empty
        else .[$i + 1:] | if length == 1 then (.[0] | select(type == "string") | {script: .}) else calls end end)
    else $c end
  end;

(.. | objects | select(.Type == "CallExpr") |
  .Pos.Line as $line | [.Args[]? | lit] | calls |
  if type == "string" then "\($line)\tcmd\t\(.)"
  else "\($line)\tscript\t\(.script | @json)" end),
(.. | objects | select(.Type == "FuncDecl") | "\(.Pos.Line)\tfunc\t\(.Name.Value)")
