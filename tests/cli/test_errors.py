"""Every error path: one paragraph on stderr, no traceback, the documented exit code."""

from __future__ import annotations

import json
import socket
from typing import Any

from tcxkit import errors
from tcxkit.cli.exitcodes import EXIT_CODES, code_for

from .conftest import SECRET, Faults, Runner


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err


def test_exit_code_table_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} |" in doc, code
        assert meaning.split(":")[0] in doc


def test_the_deprecated_exit_code_alias_matches_the_cli_table() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type)]
    core = [c for c in classes if issubclass(c, errors.TcxError)]
    assert len(core) > 20
    for cls in core:
        assert cls.exit_code == code_for(cls), cls.__name__


def test_help_lists_every_exit_code_the_cli_uses(bare: Runner) -> None:
    """Every code set in the source (``exit_code = N``, a class's ``exit_code=N``, ``code = N``,
    ``Exit(N)``) is in the table, and ``3cx --help`` prints the table: an installed package
    has no docs/."""
    import re
    from pathlib import Path

    src = Path(__file__).parents[2] / "src" / "tcxkit"
    used = {
        int(n)
        for f in src.rglob("*.py")
        for n in re.findall(
            r"(?:\bexit_code ?= ?|\bcode = |Exit\(|sys\.exit\()(\d+)\b", f.read_text()
        )
    }
    assert {1, 2, 7, 10} <= used  # the scan finds what it is meant to
    assert {0, 130} <= set(EXIT_CODES)  # success, and Ctrl-C (returned by the root group)
    assert used <= set(EXIT_CODES), used - set(EXIT_CODES)
    r = bare("--help")
    assert r.code == 0
    for code, meaning in EXIT_CODES.items():
        assert re.search(rf"^ +{code}  {re.escape(meaning)}$", r.out, re.MULTILINE), code


def test_exit_12_says_a_download_went_past_its_listed_size(bare: Runner) -> None:
    """A download stopped at the size the PBX listed exits 12, and the table says so (not
    only "not an API answer", which would send the reader to the wrong cause)."""
    from tcxkit.cli.errors import render_error

    err = errors.DownloadTooLarge(
        "The download sent more than the 512 bytes announced for it; stopped there.", limit=512
    )
    assert code_for(type(err)) == 12
    assert render_error(err).startswith("3cx: download too large: The download sent more")
    r = bare("--help")
    assert r.code == 0
    assert "download that went past the size the PBX listed for it" in r.out
    assert "went past the size the PBX listed" in EXIT_CODES[12]


def test_malformed_json_names_option_line_and_column(run: Runner) -> None:
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", '{"DnNumbers":[12,}')
    assert r.code == 2
    assert "3cx: malformed JSON: --peers-request: Expecting value at line 1, column 18." in r.err
    _no_traceback(r.err)
    r = run("call", "CreateUser", "--body", '{\n  "Number": "1",\n  "FirstName": x\n}')
    assert r.code == 2
    assert "--body: Expecting value at line 3, column 16" in r.err


def test_malformed_json_in_file(run: Runner, dirs: Any) -> None:
    (dirs["work"] / "bad.json").write_text('{"DnNumbers": [1,\n 2,, 3]}')
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", "@bad.json")
    assert r.code == 2
    assert "--peers-request (file bad.json)" in r.err and "line 2, column 4" in r.err
    r = run("peers", "retreive-peers-by-numbers", "--peers-request", "@missing.json")
    assert r.code == 2
    assert "cannot read 'missing.json'" in r.err


def test_validation_lists_every_problem(subprocess_run: Runner) -> None:
    """Through a real process (as are 7, 9 and --debug below): the exit status a shell sees."""
    run = subprocess_run
    r = run("users", "update-user", "--id", "abc", "--body", '{"Numbr":1,"Enabled":"maybe"}')
    assert r.code == 3
    assert "UpdateUser: 3 problems in the request, nothing was sent" in r.err
    assert "Id: expected an integer, got string 'abc'" in r.err
    assert "body.Numbr: unknown property (did you mean Number?)" in r.err
    assert "body.Enabled: expected true or false" in r.err
    assert "`3cx actions show UpdateUser`" in r.err
    _no_traceback(r.err)


def test_missing_required_option_is_usage_error(run: Runner) -> None:
    r = run("peers", "get-peer-by-number")
    assert r.code == 2
    assert "GetPeerByNumber: missing required option: --number (string)." in r.err
    assert "Hint: Run `3cx peers get-peer-by-number --number STRING`" in r.err


def test_missing_required_function_parameter_via_call_is_validation(run: Runner) -> None:
    r = run("call", "GetPeerByNumber")
    assert r.code == 3
    assert "Number: is required" in r.err


def test_unknown_action_in_call(run: Runner) -> None:
    r = run("call", "RetrievePeersByNumber")
    assert r.code == 2
    assert "unknown action: No action named 'RetrievePeersByNumber'" in r.err
    assert "RetreivePeersByNumbers" in r.err


def test_param_pair_syntax(run: Runner) -> None:
    r = run("call", "GetPeerByNumber", "--param", "Number")
    assert r.code == 2
    assert "--param 'Number' is not NAME=VALUE" in r.err


def test_cannot_connect(run: Runner) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    r = run("users", "list-user", env={"TCX_URL": url})
    assert r.code == 4
    assert f"3cx: cannot connect: Cannot connect to {url}" in r.err
    assert "--ca-bundle" in r.err and "--insecure" in r.err
    _no_traceback(r.err)


def test_unreachable_pbx_one_error_one_hint(run: Runner) -> None:
    """One paragraph in the CLI's words: the library's hint is replaced, not followed."""
    r = run("users", "list-user", env={"TCX_URL": "http://127.0.0.1:9"})
    assert r.code == 4
    lines = r.err.splitlines()
    assert lines[0] == (
        "3cx: cannot connect: Cannot connect to http://127.0.0.1:9/connect/token: "
        "[Errno 111] Connection refused"
    )
    assert lines[1:] == [
        "Hint: Check the URL and port (self-hosted PBXs listen on 5001, hosted ones on 443) "
        "and run `3cx doctor`; a private CA needs --ca-bundle PATH, a test box --insecure."
    ]
    assert r.out == ""


def test_unreachable_pbx_is_not_retried(run: Runner) -> None:
    """A refused connection fails at once: the HTTP log shows no retry (issue #10, item 2)."""
    r = run("users", "list-user", "--debug", env={"TCX_URL": "http://127.0.0.1:9"})
    assert r.code == 4
    assert "Connection refused" in r.err
    assert "retry" not in r.err


def test_https_to_a_plain_http_port_hints_http(run: Runner, emulator: Any) -> None:
    """OpenSSL reads the HTTP answer as a TLS record ("wrong version number", "record layer
    failure"): a CA or --insecure cannot help, http:// can (issue #22, item 8)."""
    url = emulator.url.replace("http://", "https://")
    emulator.clear_requests()
    r = run("users", "list-user", env={"TCX_URL": url})
    assert r.code == 4
    assert "3cx: TLS failure:" in r.err
    assert "the port answers in plain HTTP, not TLS." in r.err
    assert "Hint: That port speaks plain HTTP: use http:// instead of https://" in r.err
    assert "--ca-bundle" not in r.err and "--insecure" not in r.err
    assert emulator.requests == []  # the handshake failed: nothing reached the emulator


def test_bad_credentials(run: Runner) -> None:
    r = run("users", "list-user", env={"TCX_CLIENT_SECRET": "wrong-key"})
    assert r.code == 5
    assert "3cx: authentication failed:" in r.err and "(401)" in r.err
    assert "wrong-key" not in r.err + r.out


def test_permission_denied(run: Runner, faults: Faults) -> None:
    faults["ListUser"] = 403
    r = run("users", "list-user")
    assert r.code == 6
    assert "3cx: permission denied: ListUser: permission denied (403)" in r.err
    assert "System Owner" in r.err


def test_not_found(subprocess_run: Runner) -> None:
    run = subprocess_run
    r = run("users", "get-user", "--id", "999999")
    assert r.code == 7
    assert "3cx: not found: GetUser: not found (404)" in r.err
    assert "Hint:" in r.err


def test_other_client_error(run: Runner, faults: Faults) -> None:
    faults["ListUser"] = 400
    r = run("users", "list-user")
    assert r.code == 8
    assert "3cx: request failed: ListUser: the PBX refused the request (400)" in r.err


def test_top_above_limit_is_refused(run: Runner) -> None:
    r = run("users", "list-user", "--top", "500")
    assert r.code in (3, 8)
    assert "100" in r.err


def test_server_error(subprocess_run: Runner, faults: Faults) -> None:
    run = subprocess_run
    faults["ListUser"] = 500
    r = run("users", "list-user")
    assert r.code == 9
    assert "3cx: server error: ListUser: the PBX failed with 500" in r.err
    _no_traceback(r.err)


def test_debug_shows_traceback_and_http_log_without_secret(subprocess_run: Runner) -> None:
    run = subprocess_run
    r = run("--debug", "users", "get-user", "--id", "999999")
    assert r.code == 7
    assert "Traceback" in r.err
    assert "debug: tcxkit.http:" in r.err
    assert SECRET not in r.err


def test_debug_lasts_one_run(run: Runner) -> None:
    """main() may run many times in one process: --debug must not stick to later runs."""
    args = ("users", "get-user", "--id", "999999")
    for debug in (True, False, True):
        r = run(*args, "--debug") if debug else run(*args)
        assert r.code == 7
        assert "3cx: not found: GetUser: not found (404)" in r.err
        assert ("Traceback" in r.err) is debug
        assert ("debug: tcxkit.http: GET" in r.err) is debug, r.err


def test_incomplete_environment(bare: Runner) -> None:
    r = bare("users", "list-user", env={"TCX_URL": "https://pbx.example.com"})
    assert r.code == 2
    assert "missing TCX_CLIENT_ID, TCX_CLIENT_SECRET" in r.err


def test_unknown_profile(bare: Runner) -> None:
    r = bare("--profile", "nope", "users", "list-user")
    assert r.code == 2
    assert (
        "No profile or inventory PBX named 'nope' (profiles: none; inventory: none)" in r.err
        and "3cx login --name nope" in r.err
    )


def test_unknown_release(bare: Runner) -> None:
    r = bare("--release", "19.0.0", "actions")
    assert r.code == 2
    assert "No catalog for 3CX release '19.0.0'" in r.err


def test_dropped_write_exits_11_and_is_not_resent(run: Runner, emulator: Any) -> None:
    from tests.proxy import Rule, breaking_proxy

    body = '{"Number": "4712", "FirstName": "Once", "LastName": "Cli"}'
    with breaking_proxy(emulator.url, Rule("POST", "/xapi/v1/Users", times=5)) as (url, proxy):
        r = run("users", "create-user", "--body", body, env={"TCX_URL": url})
        assert r.code == 11
        assert r.err.startswith("3cx: write may have been applied: POST http://127.0.0.1:")
        assert (
            "broke off after the request was sent: Server disconnected without sending a "
            "response. It was sent once and not re-sent, so that it cannot take effect twice.\n"
        ) in r.err
        assert r.err.endswith(
            "Hint: Check on the PBX before running the command again: look for what it created, "
            "e.g. `3cx users list --filter \"Number eq '...'\"` with the Number you sent. Run it "
            "again only if the change is not there.\n"
        )
        assert "retry_writes" not in r.err and ".." not in r.err.replace("...", "")
        assert "Cannot connect" not in r.err and r.err.count("Hint:") == 1
        _no_traceback(r.err)
        assert proxy.count("POST", "/xapi/v1/Users") == 1
        items = '{"Number": "4713", "FirstName": "A", "LastName": "B"}\n'
        r = run("users", "create-user", "--items", "-", input=items, env={"TCX_URL": url})
        assert proxy.count("POST", "/xapi/v1/Users") == 2  # one per item, none re-sent
    assert r.code == 11
    assert r.err.startswith(
        "3cx: item 1 of 1 may have been applied; stopping (items already sent are still "
        "reported; later ones were not sent). Do not run the whole input again: check item 1 "
        "on the PBX, then send only the items that were not applied.\n"
    )
    assert "write may have been applied: POST" in r.err and "run them again" not in r.err
    r = run("users", "list-user", "--filter", "Number eq '4712' or Number eq '4713'", "-o", "jsonl")
    assert sorted(json.loads(line)["Number"] for line in r.out.splitlines()) == ["4712", "4713"]


def test_items_mode_names_the_items_that_may_have_been_applied(run: Runner, emulator: Any) -> None:
    """A dropped create in items mode is reported as "check it", never "run it again"
    (it was created: sending it again would make a duplicate); refused items still are."""
    from tests.proxy import Rule, breaking_proxy

    items = (
        '{"Number": "4720", "FirstName": "Dropped", "LastName": "Once"}\n'
        '{"Number": "4721", "FirstName": "Fine", "LastName": "Two"}\n'
        '{"Number": "4721", "FirstName": "Same", "LastName": "Number"}\n'
    )
    with breaking_proxy(emulator.url, Rule("POST", "/xapi/v1/Users", times=1)) as (url, proxy):
        r = run(
            "users", "create-user", "--items", "-", "--continue-on-error", "--concurrency", "1",
            input=items, env={"TCX_URL": url},
        )  # fmt: skip
        assert proxy.count("POST", "/xapi/v1/Users") == 3  # none re-sent
    assert r.code == 10
    errors = {line["item"]: line["error"] for line in r.lines() if "error" in line}
    assert sorted(errors) == [1, 3]
    assert errors[1]["exit_code"] == 11 and errors[3]["exit_code"] == 8
    assert errors[1]["hint"].startswith("Check on the PBX before running the command again")
    assert "retry_writes" not in json.dumps(errors)
    assert r.err == (
        "3cx: partial failure: 2 of 3 items failed (their lines carry an 'error' field).\n"
        "Hint: Item 1 may have been applied (the connection broke after sending; exit_code 11 "
        "in its line); check on the PBX before sending it again: look for what it created, "
        "e.g. `3cx users list --filter \"Number eq '...'\"` with the Number you sent. The "
        "other failed items were refused and not applied: fix and run only them, e.g. "
        "`jq -c 'select(.error and .error.exit_code != 11) | .input'`.\n"
    )
    r = run("users", "list-user", "--filter", "Number eq '4720'", "-o", "jsonl")
    assert [json.loads(line)["FirstName"] for line in r.out.splitlines()] == ["Dropped"]


HUGE = "1" * 5000  # past Python's 4 300-digit int() limit


def test_a_5000_digit_value_is_a_validation_error_not_an_unexpected_one(run: Runner) -> None:
    """Key, function parameter and CSV cell: digits are counted before int(), exit 3."""
    problem = "is a number of 5000 digits; at most 100 are accepted"
    r = run("users", "get", "--id", HUGE)
    assert r.code == 3
    assert r.err.startswith("3cx: invalid request: GetUser: 1 problem in the request")
    assert f"  - Id: {problem}\n" in r.err
    r = run("call", "DownloadRecording", "--param", f"recId={HUGE}")
    assert r.code == 3 and f"  - recId: {problem}\n" in r.err
    r = run("users", "get", "--items", "-", input=f"Id\n{HUGE}\n")
    assert r.code == 3 and f"  - Id: {problem}\n" in r.err
    for err in (r.err,):
        assert "unexpected error" not in err
        _no_traceback(err)


def test_a_filter_too_long_for_one_request_is_refused_before_sending(run: Runner) -> None:
    terms = " or ".join(f"Number eq '{100 + i}'" for i in range(3000))
    r = run("users", "list", "--filter", terms)
    assert r.code == 3
    assert r.err == (
        "3cx: invalid request: ListUser: 1 problem in the request, nothing was sent:\n"
        "  - filter: makes the request line 83 130 bytes long; a PBX's web server reads at most "
        "8 192 and answers a longer one with 414\n"
        "Hint: Shorten it: match many values with one `in` list (Number in ('100','101',...)) "
        "rather than `eq ... or` terms, $select fewer properties, or split the values over "
        "several calls and merge the results.\n"
    )
    short = ",".join(f"'{100 + i}'" for i in range(300))
    r = run("users", "list", "--filter", f"Number in ({short})", "--select", "Number")
    assert r.code == 0, r.err


def test_unquoted_number_in_a_filter_is_refused_with_the_quoted_form(run: Runner) -> None:
    """``Number`` is text: the PBX's OData library refuses a bare number (400, exit 8)."""
    r = run("users", "list", "--filter", "Number eq 100")
    assert r.code == 8
    assert r.out == ""
    assert (
        "A binary operator with incompatible types was detected. Found operand types "
        "'Edm.String' and 'Edm.Int32' for operator kind 'Equal'." in r.err
    )
    assert "Hint: Text values are quoted in a filter: Number eq '100'." in r.err
    _no_traceback(r.err)
    quoted = run("users", "list", "--filter", "Number eq '100'", "-o", "json")
    assert quoted.code == 0 and [u["Number"] for u in quoted.json()] == ["100"]
    r = run("users", "list", "--filter", "Id eq '6'")  # the other way round: Id is a number
    assert r.code == 8
    assert "Found operand types 'Edm.Int32' and 'Edm.String' for operator kind 'Equal'." in r.err
    assert "Hint: Numbers are not quoted in a filter: Id eq 6 (quote the value only" in r.err
