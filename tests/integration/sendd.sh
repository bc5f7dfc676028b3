#!/bin/sh
# The SeND daemon example (examples/sendd) from its command line,
# reported as TAP.  Run from the build directory; no privilege needed.
#
#   cga: RFC 3972 example       `sendd cga -P` of the RFC 3972 Appendix A
#                               parameters (their hex, from the RFC):
#                               fe80::3c4a:5bf6:ffb4:ca6c
#   cga: Sec 2                  the same key with a modifier for Sec 2
#                               (found once): its address verifies at
#                               Sec 2, not at 3
#   cga: VECTOR                 each line of vectors.tsv in the shared
#                               test data (XK_CGA_TESTDATA, else
#                               ../shared/testdata/cga next to the source
#                               tree; skipped when absent): the address
#                               on line 1; `sendd verify` of it exits 0
#                               at its Sec and 1 at Sec + 1
#   cga: new key                a key made by openssl(1): `sendd cga`
#                               then `sendd verify` of its output, and
#                               a CGA collision count 1 and 2 each
#   cga: independent check      python3's hashlib recomputes the address
#                               from the printed parameters (Hash1, Sec,
#                               u and g bits, Hash2's zero bits)
#   verify: refusals            a changed address, Sec above the
#                               address's, cut parameters: exit 1
#   signature: openssl          `sendd sign-test` signs an NS as `run`
#                               does; `openssl dgst -sha1 -verify` with
#                               the public key openssl derives from the
#                               key file checks the signature over the
#                               signed octets, and refuses them with one
#                               byte changed
#   signature: signed octets    python3 rebuilds the signed octets from
#                               the message alone (tag, addresses, the
#                               ICMPv6 message cut before the RSA
#                               Signature option, with the checksum and
#                               payload length of the cut message, RFC
#                               3971 5.2) and finds the daemon's; the
#                               signature in the message is sig.bin; the
#                               message's own checksum is right
# Skipped without openssl(1) or python3 where they are used.

builddir=$(pwd)
xk_lib=$(cd "$(dirname "$0")/../lib" && pwd)
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=SCRIPTDIR/../lib/xk_tap.sh
. "$xk_lib/xk_tap.sh"
SENDD=$builddir/examples/sendd
data=${XK_CGA_TESTDATA:-$srcdir/../shared/testdata/cga}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xk_sendd.XXXXXX") || exit 1
cleanup_on_exit

have_py=0
command -v python3 >/dev/null 2>&1 && have_py=1
have_ossl=0
command -v openssl >/dev/null 2>&1 && have_ossl=1

# The RFC 3972 Appendix A parameters, as the RFC prints them.
cat >"$tmp/rfc.hex" <<'EOF'
89a8a8b2e858d8b8f2633f44d2d4ce9bfe8000000000000000305c300d06
092a864886f70d0101010500034b003048024100c2c2f137305454f10bd9
cea36844b530e9211a4b262b16467cb7dfba1f595c0194f275be5a4d386f
2c3c2382508773c7867f9b3b9e63a09c7bc48f7a54ebefaf0203010001
EOF
tr -d '\n' <"$tmp/rfc.hex" >"$tmp/rfc.params"
a=$("$SENDD" cga -P "$tmp/rfc.params" -s 1 2>"$tmp/err" | head -n 1)
if [ "$a" = "fe80::3c4a:5bf6:ffb4:ca6c" ] &&
    "$SENDD" verify "$a" "$tmp/rfc.params" 1 >/dev/null 2>&1 &&
    ! "$SENDD" verify "$a" "$tmp/rfc.params" 2 >/dev/null 2>&1; then
	tap_ok "cga: RFC 3972 example"
else
	diag "got '$a'"
	diag_file stderr "$tmp/err"
	tap_fail "cga: RFC 3972 example"
fi

# Sec 2: the same key with a modifier found once (2^32 hashes).
{ printf 35aa4fa7d2adf06c4130633de3f7fd3a; cut -c33- "$tmp/rfc.params"; } \
    >"$tmp/sec2.params"
a=$("$SENDD" cga -P "$tmp/sec2.params" -s 2 2>"$tmp/err" | head -n 1)
if [ "$a" = "fe80::401d:c0de:98af:7b8a" ] &&
    "$SENDD" verify "$a" "$tmp/sec2.params" 2 >/dev/null 2>&1 &&
    ! "$SENDD" verify "$a" "$tmp/sec2.params" 3 >/dev/null 2>&1 &&
    ! "$SENDD" cga -P "$tmp/sec2.params" -s 3 >/dev/null 2>&1; then
	tap_ok "cga: Sec 2"
else
	diag "got '$a'"
	diag_file stderr "$tmp/err"
	tap_fail "cga: Sec 2"
fi

# cga_vector NAME KIND FILE PREFIX SEC MODIFIER EXPECTED
cga_vector() {
	if [ "$2" = params ]; then
		"$SENDD" cga -P "$data/$3" -s "$5" >"$tmp/out" 2>"$tmp/err"
	else
		"$SENDD" cga -k "$data/$3" -p "$4" -s "$5" -m "$6" \
		    >"$tmp/out" 2>"$tmp/err"
	fi
	got=$(head -n 1 "$tmp/out")
	sed -n 2p "$tmp/out" >"$tmp/params.hex"
	if [ "$got" = "$7" ] &&
	    "$SENDD" verify "$7" "$tmp/params.hex" "$5" >/dev/null 2>&1 &&
	    ! "$SENDD" verify "$7" "$tmp/params.hex" $(($5 + 1)) \
	    >/dev/null 2>&1; then
		tap_ok "cga: $1"
	else
		diag "want $7, got '$got'"
		diag_file stderr "$tmp/err"
		tap_fail "cga: $1"
	fi
}

if [ -f "$data/vectors.tsv" ]; then
	grep -v '^#' "$data/vectors.tsv" >"$tmp/vectors"
	while IFS='	' read -r name kind file prefix sec mod want; do
		[ -n "$name" ] || continue
		cga_vector "$name" "$kind" "$file" "$prefix" "$sec" "$mod" \
		    "$want"
	done <"$tmp/vectors"
else
	tap_skip "cga: vectors" "no test data in $data (XK_CGA_TESTDATA)"
fi

# A new key, its CGA and its collision counts.
key_ok=0
if [ "$have_ossl" -eq 1 ] &&
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
    -out "$tmp/key.pem" 2>"$tmp/err"; then
	key_ok=1
fi
if [ "$key_ok" -eq 1 ]; then
	ok=1
	for c in 0 1 2; do
		"$SENDD" cga -k "$tmp/key.pem" -p 2001:db8:1:2:: -c "$c" \
		    >"$tmp/new$c" 2>"$tmp/err" || ok=0
		a=$(head -n 1 "$tmp/new$c")
		sed -n 2p "$tmp/new$c" >"$tmp/new$c.hex"
		case $a in
		2001:db8:1:2:*) ;;
		*) ok=0 ;;
		esac
		"$SENDD" verify "$a" "$tmp/new$c.hex" 1 >/dev/null 2>&1 ||
		    ok=0
	done
	[ "$(head -n 1 "$tmp/new1")" != "$(head -n 1 "$tmp/new2")" ] || ok=0
	if [ "$ok" -eq 1 ]; then
		tap_ok "cga: new key"
	else
		diag_file stderr "$tmp/err"
		tap_fail "cga: new key"
	fi
else
	tap_skip "cga: new key" "openssl(1) cannot make a key"
fi

# Hash1, Sec, u and g, Hash2: RFC 3972 sections 4 and 5, in python3.
check_py() {
	python3 - "$@" <<'EOF'
import hashlib, ipaddress, sys
addr, hexfile, sec = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = bytes.fromhex(open(hexfile).read().strip())
key = p[25:]
h1 = bytearray(hashlib.sha1(p).digest()[:8])
h1[0] = (h1[0] & 0x1c) | (sec << 5)
want = ipaddress.IPv6Address(p[16:24] + bytes(h1))
h2 = hashlib.sha1(p[:16] + bytes(9) + key).digest()[:14]
ok = want == ipaddress.IPv6Address(addr) and h2[:2 * sec] == bytes(2 * sec)
sys.exit(0 if ok else 1)
EOF
}

if [ "$have_py" -eq 1 ] && [ "$key_ok" -eq 1 ]; then
	if check_py "$(head -n 1 "$tmp/new0")" "$tmp/new0.hex" 1 &&
	    check_py "$(head -n 1 "$tmp/new2")" "$tmp/new2.hex" 1 &&
	    check_py fe80::3c4a:5bf6:ffb4:ca6c "$tmp/rfc.params" 1; then
		tap_ok "cga: independent check"
	else
		tap_fail "cga: independent check"
	fi
else
	tap_skip "cga: independent check" "no python3 or no key"
fi

# verify refuses: another identifier bit, Sec above, cut parameters.
head -c 100 "$tmp/rfc.params" >"$tmp/cut.params"
if ! "$SENDD" verify fe80::3c4a:5bf6:ffb4:ca6d "$tmp/rfc.params" 0 \
    >/dev/null 2>&1 &&
    ! "$SENDD" verify fe80::5c4a:5bf6:ffb4:ca6c "$tmp/rfc.params" 0 \
    >/dev/null 2>&1 &&
    ! "$SENDD" verify fe80::3c4a:5bf6:ffb4:ca6c "$tmp/cut.params" 0 \
    >/dev/null 2>&1 &&
    "$SENDD" verify fe80::3e4a:5bf6:ffb4:ca6c "$tmp/rfc.params" 1 \
    >/dev/null 2>&1; then
	tap_ok "verify: refusals"
else
	tap_fail "verify: refusals"
fi

# The daemon's signature, checked by OpenSSL's command line.
if [ "$key_ok" -eq 1 ]; then
	mkdir "$tmp/sig"
	openssl pkey -in "$tmp/key.pem" -pubout -out "$tmp/pub.pem" \
	    2>/dev/null
	if "$SENDD" sign-test -k "$tmp/key.pem" -o "$tmp/sig" \
	    >"$tmp/out" 2>"$tmp/err" &&
	    openssl dgst -sha1 -verify "$tmp/pub.pem" \
	    -signature "$tmp/sig/sig.bin" "$tmp/sig/data.bin" \
	    >"$tmp/ossl" 2>&1 && grep -q "Verified OK" "$tmp/ossl" &&
	    cmp -s "$tmp/pub.pem" "$tmp/sig/pub.pem"; then
		# One byte changed: refused.
		cp "$tmp/sig/data.bin" "$tmp/bad.bin"
		printf '\000' | dd of="$tmp/bad.bin" bs=1 seek=60 \
		    conv=notrunc 2>/dev/null
		cmp -s "$tmp/bad.bin" "$tmp/sig/data.bin" &&
		    printf '\001' | dd of="$tmp/bad.bin" bs=1 seek=60 \
		    conv=notrunc 2>/dev/null
		if ! cmp -s "$tmp/bad.bin" "$tmp/sig/data.bin" &&
		    ! openssl dgst -sha1 -verify "$tmp/pub.pem" \
		    -signature "$tmp/sig/sig.bin" "$tmp/bad.bin" \
		    >/dev/null 2>&1; then
			tap_ok "signature: openssl"
		else
			diag "a changed byte verified"
			tap_fail "signature: openssl"
		fi
	else
		diag_file stderr "$tmp/err"
		diag_file openssl "$tmp/ossl"
		tap_fail "signature: openssl"
	fi
else
	tap_skip "signature: openssl" "openssl(1) cannot make a key"
fi

# The signed octets rebuilt from the message alone.
if [ "$have_py" -eq 1 ] && [ -s "$tmp/sig/msg.bin" ]; then
	if python3 - "$tmp/sig" <<'EOF'
import struct, sys
d = sys.argv[1]
msg = open(d + "/msg.bin", "rb").read()
data = open(d + "/data.bin", "rb").read()
sig = open(d + "/sig.bin", "rb").read()

def cksum(src, dst, icmp):
    ph = src + dst + struct.pack("!I3xB", len(icmp), 58)
    b = ph + icmp[:2] + b"\0\0" + icmp[4:]
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

assert msg[0] >> 4 == 6 and msg[6] == 58
plen = struct.unpack("!H", msg[4:6])[0]
assert plen == len(msg) - 40
src, dst, icmp = msg[8:24], msg[24:40], msg[40:]
assert struct.unpack("!H", icmp[2:4])[0] == cksum(src, dst, icmp)
assert icmp[0] == 135
off, cut = 24, None
while off < len(icmp):
    t, l = icmp[off], icmp[off + 1] * 8
    assert l > 0
    if t == 12:
        cut = off
        break
    off += l
assert cut is not None and cut + icmp[cut + 1] * 8 == len(icmp)
part = bytearray(icmp[:cut])
part[2:4] = struct.pack("!H", cksum(src, dst, bytes(part)))
tag = bytes.fromhex("086fca5e10b200c99c8ce00164277c08")
assert tag + src + dst + bytes(part) == data, "signed octets differ"
assert icmp[cut + 20:cut + 20 + len(sig)] == sig
EOF
	then
		tap_ok "signature: signed octets"
	else
		tap_fail "signature: signed octets"
	fi
else
	tap_skip "signature: signed octets" "no python3 or no message"
fi

echo "1..$n"
exit "$failed"
