#!/bin/sh
test_description='serve --print-service: systemd unit and launchd plist'
. "$(dirname "$0")/lib.sh"

export LOCALMODEL_LLAMA_SERVER="$FIXTURES/fake-llama-server"
python3 "$FIXTURES/mkgguf.py" "$TRASH/my model.gguf" >/dev/null

test_expect_success 'systemd: a user unit running serve --foreground with the same options' '
	HF_TOKEN=hf_secretsecret localmodel serve "./my model.gguf" --port 9123 --ctx 8192 \
		--print-service systemd -- --threads 4 >unit &&
	test_grep "^\[Unit\]" unit &&
	test_grep "^\[Service\]" unit &&
	test_grep "^\[Install\]" unit &&
	test_grep "^WantedBy=default.target" unit &&
	test_grep "^Restart=on-failure" unit &&
	exe=$(readlink -f "$LOCALMODEL_BIN") &&
	test_grep "^ExecStart=$exe serve --foreground \"$TRASH/my model.gguf\" --port 9123 --ctx 8192 -- --threads 4$" unit &&
	test_grep -v "print-service" unit
'

test_expect_success 'systemd: the environment is baked in, tokens are not' '
	test_grep "^Environment=LOCALMODEL_HOME=$LOCALMODEL_HOME$" unit &&
	test_grep "^Environment=LOCALMODEL_LLAMA_SERVER=$LOCALMODEL_LLAMA_SERVER$" unit &&
	test_grep "^Environment=\"\{0,1\}PATH=" unit &&
	test_grep -v "hf_secret" unit
'

test_expect_success 'systemd: % and $ are escaped' '
	python3 "$FIXTURES/mkgguf.py" "$TRASH/x%y.gguf" >/dev/null &&
	localmodel serve ./x%y.gguf --alias "a\$b" --print-service systemd >unit2 &&
	grep -F "x%%y.gguf" unit2 &&
	grep -F -- "--alias a\$\$b" unit2
'

test_expect_success 'launchd: a plist with the arguments, environment and log' '
	localmodel serve "./my model.gguf" --port 9123 --print-service launchd >plist 2>hint &&
	test_grep "<key>Label</key>" plist &&
	test_grep "<string>org.localmodel.serve.9123</string>" plist &&
	test_grep "<string>--foreground</string>" plist &&
	test_grep "<string>$TRASH/my model.gguf</string>" plist &&
	test_grep "<key>LOCALMODEL_HOME</key>" plist &&
	test_grep "<key>StandardErrorPath</key>" plist &&
	test_grep "launchd-9123.log</string>" plist &&
	python3 -c "import plistlib,sys; d=plistlib.load(open(sys.argv[1],\"rb\")); assert d[\"ProgramArguments\"][1:3]==[\"serve\",\"--foreground\"], d; assert d[\"RunAtLoad\"]" plist
'

test_expect_success 'launchd: keys as launchd.plist(5) has them, a log folder that exists' '
	python3 - plist "$LOCALMODEL_HOME" <<-\EOF
	import os, plistlib, sys
	d = plistlib.load(open(sys.argv[1], "rb"))
	assert d["Label"] == "org.localmodel.serve.9123", d
	assert os.path.isabs(d["ProgramArguments"][0]), d
	assert d["EnvironmentVariables"]["LOCALMODEL_HOME"] == sys.argv[2], d
	assert d["KeepAlive"] == {"SuccessfulExit": False}, d
	assert d["StandardOutPath"] == d["StandardErrorPath"], d
	assert os.path.isdir(os.path.dirname(d["StandardOutPath"])), d
	known = {"Label", "ProgramArguments", "EnvironmentVariables", "RunAtLoad",
		 "KeepAlive", "StandardOutPath", "StandardErrorPath"}
	assert set(d) <= known, set(d) - known
	EOF
'

test_expect_success 'launchd: the exact bootstrap and bootout commands on stderr' '
	uid=$(id -u) &&
	test_grep "launchctl bootstrap gui/$uid ~/Library/LaunchAgents/org.localmodel.serve.9123.plist" hint &&
	test_grep "launchctl bootout gui/$uid/org.localmodel.serve.9123" hint &&
	localmodel --quiet serve "./my model.gguf" --port 9123 --print-service launchd >plist2 2>hint2 &&
	test_cmp plist plist2 &&
	test ! -s hint2
'

test_expect_success 'an unknown service kind is a usage error; an unknown model exit 3' '
	test_expect_code 2 localmodel serve "./my model.gguf" --print-service upstart 2>err &&
	test_grep "systemd or launchd" err &&
	test_expect_code 3 localmodel serve nobody/none --print-service systemd 2>err
'

test_expect_success 'a unit can be printed before the runtime is installed' '
	(unset LOCALMODEL_LLAMA_SERVER; localmodel serve "./my model.gguf" --print-service systemd >unit3) &&
	test_grep "^ExecStart=" unit3 &&
	test_grep -v "LOCALMODEL_LLAMA_SERVER" unit3
'

test_expect_success 'printing a service starts nothing' '
	test ! -e "$LOCALMODEL_HOME/run/server-9123.state" &&
	! ps -eo args | grep "fake-llama-server.*$TRASH" | grep -v grep
'

test_done
