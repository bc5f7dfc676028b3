/*
 * sendd: a Secure Neighbor Discovery (RFC 3971) daemon on one SeND socket.
 * What its files share: CGAs (cga.c), Neighbor Discovery messages and
 * their options (ndopt.c), signatures, timestamps and nonces (sign.c),
 * and what is done to each message (proto.c).  sendd.c (the program)
 * and addr.c (rtnetlink) use these; so does tests/unit/test_sendd.c.
 *
 * Nothing here touches a socket: the pieces take a message in a buffer
 * and say what to do with it, so that they can be tested alone.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef _SENDD_H_
#define _SENDD_H_

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* ND message types (RFC 4861) and their fixed parts, ICMPv6 header in. */
#define ND_TYPE_RS		133
#define ND_TYPE_RA		134
#define ND_TYPE_NS		135
#define ND_TYPE_NA		136
#define ND_TYPE_REDIRECT	137
#define ND_FIXED_RS		8
#define ND_FIXED_RA		16
#define ND_FIXED_NS		24
#define ND_FIXED_NA		24
#define ND_FIXED_REDIRECT	40

/* SeND options (RFC 3971 section 5). */
#define NDOPT_CGA		11
#define NDOPT_RSASIG		12
#define NDOPT_TIMESTAMP		13
#define NDOPT_NONCE		14

#define IP6_HLEN		40
#define ICMP6_PROTO		58
#define ND_HOPLIMIT		255

/* A SeND socket's buffers (send.h): what is read, what may be written. */
#define SND_RCVBUF		9216
#define SND_SNDBUF		8352

/* The CGA message-type tag that starts the signed octets (RFC 3971 5.2). */
extern const uint8_t snd_msgtag[16];

/*
 * RFC 3972 CGA Parameters: modifier (16), subnet prefix (8), collision
 * count (1), public key (DER SubjectPublicKeyInfo), extension fields.
 */
#define CGA_MOD_LEN		16
#define CGA_PREFIX_LEN		8
#define CGA_PREFIX_OFF		16
#define CGA_CC_OFF		24
#define CGA_KEY_OFF		25
#define CGA_PARAMS_MAX		1280	/* a 4096-bit RSA key and room */
#define CGA_SEC_MAX		7
#define CGA_CC_MAX		2	/* collision counts 0, 1, 2 */
#define CGA_HASH2_LEN		14	/* the leftmost 112 bits */

/* Bounds on RSA keys: CGAs (RFC 3972 section 4), and what sendd signs. */
#define KEY_BITS_CGA_MIN	384
#define KEY_BITS_MIN		1024	/* default for signing and peers */
#define KEY_BITS_MAX		4096

/* Why a CGA does not verify or cannot be made. */
enum cga_error {
	CGA_OK = 0,
	CGA_ESHORT,		/* shorter than its fields */
	CGA_EDER,		/* the public key's DER does not hold */
	CGA_EEXT,		/* extension fields that do not parse */
	CGA_ECOUNT,		/* collision count above 2 */
	CGA_EPREFIX,		/* subnet prefix differs from the address */
	CGA_EHASH1,		/* interface identifier is not Hash1 */
	CGA_EHASH2,		/* Hash2 lacks 16 x Sec zero bits */
	CGA_ESEC,		/* Sec lower than asked for */
	CGA_ESEARCH,		/* modifier search ran out of tries */
	CGA_ENOMEM,
	CGA_ERRORS
};

/* Parsed CGA Parameters: pointers into the caller's buffer. */
struct cga_params {
	const uint8_t	*cp_buf;	/* the whole encoding */
	size_t		 cp_len;
	const uint8_t	*cp_key;	/* the public key's DER */
	size_t		 cp_keylen;
	size_t		 cp_extlen;	/* extension fields, after the key */
	unsigned int	 cp_cc;		/* collision count */
};

const char	*cga_strerror(int error);
int	cga_parse(const uint8_t *buf, size_t len, struct cga_params *cp);
int	cga_build(uint8_t *buf, size_t cap, size_t *lenp,
	    const uint8_t mod[CGA_MOD_LEN],
	    const uint8_t prefix[CGA_PREFIX_LEN], unsigned int cc,
	    const uint8_t *key, size_t keylen);
int	cga_hash2(const uint8_t mod[CGA_MOD_LEN], const uint8_t *key,
	    size_t keylen, const uint8_t *ext, size_t extlen,
	    uint8_t out[CGA_HASH2_LEN]);
int	cga_hash2_ok(const uint8_t hash2[CGA_HASH2_LEN], unsigned int sec);
int	cga_address(const struct cga_params *cp, unsigned int sec,
	    struct in6_addr *addr);
int	cga_verify(const struct in6_addr *addr, const uint8_t *buf,
	    size_t len, unsigned int minsec, unsigned int *secp);
int	cga_search(const uint8_t *key, size_t keylen, unsigned int sec,
	    uint8_t mod[CGA_MOD_LEN], uint64_t maxtries, uint64_t *triesp);

/* RSA keys, PEM in, DER SubjectPublicKeyInfo out. */
EVP_PKEY *key_load(const char *path, int *privp);
int	key_der(EVP_PKEY *key, uint8_t **derp, size_t *lenp);
EVP_PKEY *key_from_der(const uint8_t *der, size_t len);
int	key_check(EVP_PKEY *key, int minbits, int maxbits);

/* SHA-1 of @len bytes, in @ctx (one made for the call if NULL): 0, ENOMEM. */
int	sha1_buf(EVP_MD_CTX *ctx, const uint8_t *p, size_t len,
	    uint8_t out[20]);

/*
 * Peers' keys, decoded once: OpenSSL 3's d2i_PUBKEY() costs more than
 * the verification itself.  An entry is found by its DER, compared
 * whole (not by a hash of it); it keeps the decoded key, its key hash
 * (snd_keyhash()), a context that verifies with it, and the last CGA
 * (address and parameters, compared whole) that cga_verify() found
 * right with this key at Sec 0 or more.  At most kc_max entries
 * (KEY_CACHE_MAX unless a test lowers it); when full, the entry found
 * longest ago gives way.  Keys that do not decode are not kept.
 * key_cache_find() looks only; key_cache_get() decodes what it lacks.
 */
#define KEY_CACHE_MAX		64

struct key_ent {
	uint8_t		*ke_der;	/* a copy of the DER */
	size_t		 ke_derlen;
	EVP_PKEY	*ke_key;
	int		 ke_base;	/* EVP_PKEY_get_base_id(ke_key) */
	int		 ke_bits;	/* EVP_PKEY_get_bits(ke_key) */
	EVP_PKEY_CTX	*ke_vctx;	/* snd_ctx(ke_key, 0), on first use */
	uint8_t		 ke_hash[16];	/* snd_keyhash() of the DER */
	uint64_t	 ke_used;	/* kc_tick when last found */
	struct in6_addr	 ke_cgaaddr;	/* a CGA of this key, verified */
	uint8_t		*ke_cga;	/* its parameters (a copy), or NULL */
	size_t		 ke_cgalen;
};

struct key_cache {
	struct key_ent	 kc_ent[KEY_CACHE_MAX];
	size_t		 kc_n;		/* entries in use: the first kc_n */
	size_t		 kc_max;	/* 1 to KEY_CACHE_MAX */
	uint64_t	 kc_tick;
	uint64_t	 kc_hits;	/* found */
	uint64_t	 kc_misses;	/* decoded (or not: NULL) */
	uint64_t	 kc_evicted;	/* given way to another */
};

void	key_cache_init(struct key_cache *kc, size_t max);
struct key_ent *key_cache_find(struct key_cache *kc, const uint8_t *der,
	    size_t len);
struct key_ent *key_cache_get(struct key_cache *kc, const uint8_t *der,
	    size_t len);
void	key_cache_fini(struct key_cache *kc);
int	key_cga_known(const struct key_ent *ke, const struct in6_addr *addr,
	    const uint8_t *params, size_t len);
void	key_cga_remember(struct key_ent *ke, const struct in6_addr *addr,
	    const uint8_t *params, size_t len);
int	key_ent_check(const struct key_ent *ke, int minbits, int maxbits);

/*
 * A Neighbor Discovery message, parsed in place: offsets from the start
 * of the IPv6 header.  An option offset of 0 means none; options after
 * the first RSA Signature option are not looked at (RFC 3971 5.2.2).
 */
struct nd_msg {
	uint8_t		*nm_pkt;
	size_t		 nm_len;	/* 40 + the payload length */
	uint8_t		 nm_type;
	size_t		 nm_optoff;	/* the first option */
	size_t		 nm_cga;	/* the SeND options, first of each */
	size_t		 nm_ts;
	size_t		 nm_nonce;
	size_t		 nm_sig;
	size_t		 nm_sigend;	/* end of the signature, or nm_len */
};

/*
 * The daemon's counters, by name: every message read is counted once,
 * in one of them (the "in." and "out." ones), and so is every failed
 * write.  Shown by SIGUSR1 and at exit.
 */
#define SD_COUNTERS(X)							\
	X(IN_SECURED,		"in.secured")				\
	X(IN_UNSECURED,		"in.unsecured")				\
	X(IN_DROP_UNSECURED,	"in.drop.unsecured")			\
	X(IN_DROP_SHADOWED,	"in.drop.shadowed")			\
	X(IN_DROP_SHORT,	"in.drop.short")			\
	X(IN_DROP_NOTND,	"in.drop.notnd")			\
	X(IN_DROP_HOPLIMIT,	"in.drop.hoplimit")			\
	X(IN_DROP_CKSUM,	"in.drop.cksum")			\
	X(IN_DROP_OPTLEN,	"in.drop.optlen")			\
	X(IN_DROP_DUPOPT,	"in.drop.dupopt")			\
	X(IN_DROP_CGA,		"in.drop.cga")				\
	X(IN_DROP_KEY,		"in.drop.key")				\
	X(IN_DROP_KEYHASH,	"in.drop.keyhash")			\
	X(IN_DROP_SIG,		"in.drop.sig")				\
	X(IN_DROP_TIMESTAMP,	"in.drop.timestamp")			\
	X(IN_DROP_REPLAY,	"in.drop.replay")			\
	X(IN_DROP_NONCE,	"in.drop.nonce")			\
	X(OUT_SIGNED,		"out.signed")				\
	X(OUT_UNSIGNED,		"out.unsigned")				\
	X(OUT_DROP_SHORT,	"out.drop.short")			\
	X(OUT_DROP_NOTND,	"out.drop.notnd")			\
	X(OUT_DROP_OPTLEN,	"out.drop.optlen")			\
	X(OUT_DROP_TOOBIG,	"out.drop.toobig")			\
	X(OUT_DROP_SIGN,	"out.drop.sign")			\
	X(SOCK_DROP_WRITE,	"sock.drop.write")			\
	X(SOCK_DROP_READ,	"sock.drop.read")

#define SD_ENUM(e, name)	SD_##e,
enum sd_counter {
	SD_COUNTERS(SD_ENUM)
	SD_NCOUNTERS
};
#undef SD_ENUM

extern const char *const sd_counter_name[SD_NCOUNTERS];

/*
 * nd_parse() fills @m and answers 0, or the offset of the reason in the
 * "in." or "out." drop counters: one of these.
 */
enum nd_error {
	ND_OK = 0,
	ND_ESHORT,		/* cut short, or a payload length that lies */
	ND_ENOTND,		/* not ICMPv6 ND right after the IPv6 header */
	ND_EOPTLEN,		/* an option of length 0 or past the end */
	ND_EDUPOPT		/* a SeND option twice before the signature */
};

int	nd_parse(uint8_t *pkt, size_t len, struct nd_msg *m);
const struct in6_addr *nd_target(const struct nd_msg *m);
uint16_t nd_cksum(const uint8_t *pkt, size_t len);
void	nd_fixup(uint8_t *pkt, size_t len);
size_t	nd_add_cga(uint8_t *pkt, size_t len, size_t cap,
	    const uint8_t *params, size_t plen);
size_t	nd_add_timestamp(uint8_t *pkt, size_t len, size_t cap, uint64_t ts);
size_t	nd_add_nonce(uint8_t *pkt, size_t len, size_t cap,
	    const uint8_t *nonce, size_t nlen);
size_t	nd_add_sig(uint8_t *pkt, size_t len, size_t cap,
	    const uint8_t keyhash[16], const uint8_t *sig, size_t siglen);
int	nd_cga_params(const struct nd_msg *m, const uint8_t **pp,
	    size_t *lenp);

/*
 * Timestamps are RFC 3971's: 48 bits of seconds since 1970 and 16 of
 * 1/65536 second, here in an int64_t of 1/65536 seconds.
 */
#define TS_SEC			65536LL
#define TS_DELTA		(300 * TS_SEC)	/* TIMESTAMP_DELTA */
#define TS_FUZZ			(1 * TS_SEC)	/* TIMESTAMP_FUZZ */
#define TS_DRIFT_PCT		1		/* TIMESTAMP_DRIFT, percent */
#define TS_CACHE_MAX		512		/* peers remembered */
#define TS_LIFETIME		(3600 * TS_SEC)	/* forgotten after */

int64_t	ts_now(void);

/* A peer's history (RFC 3971 5.3.4.2): RDlast and TSlast. */
struct ts_ent {
	struct in6_addr	 te_addr;
	int		 te_ifidx;
	int64_t		 te_rdlast;
	int64_t		 te_tslast;
};

struct ts_cache {
	struct ts_ent	 tc_ent[TS_CACHE_MAX];
	size_t		 tc_n;
};

enum ts_result {
	TS_OK = 0,
	TS_EWINDOW,		/* a new peer's clock is more than Delta off */
	TS_EREPLAY		/* older than the peer's history allows */
};

int	ts_check(const struct ts_cache *tc, const struct in6_addr *addr,
	    int ifidx, int64_t tsnew, int64_t rdnew);
void	ts_update(struct ts_cache *tc, const struct in6_addr *addr,
	    int ifidx, int64_t tsnew, int64_t rdnew);
int	ts_known(const struct ts_cache *tc, const struct in6_addr *addr,
	    int ifidx, int64_t now);

/*
 * Nonces of solicitations: those sendd sent (to match advertisements
 * against) and those it received (to echo in the advertisements that
 * answer them).  A small ring; the oldest goes first.
 */
#define NONCE_MAX		64	/* bytes of a nonce kept */
#define NONCE_LEN		6	/* bytes of the nonces sendd makes */
#define NONCE_CACHE_MAX		64
#define NONCE_LIFETIME		(10 * TS_SEC)

struct nonce_ent {
	struct in6_addr	 ne_peer;	/* the solicitor (received ones) */
	struct in6_addr	 ne_target;	/* NS target, or ff02::2 for RS */
	int		 ne_ifidx;
	int64_t		 ne_expire;
	size_t		 ne_len;
	uint8_t		 ne_nonce[NONCE_MAX];
};

struct nonce_cache {
	struct nonce_ent nc_ent[NONCE_CACHE_MAX];
	size_t		 nc_next;
};

void	nonce_add(struct nonce_cache *nc, const struct in6_addr *peer,
	    const struct in6_addr *target, int ifidx, const uint8_t *nonce,
	    size_t len, int64_t now);
int	nonce_match(const struct nonce_cache *nc, const struct in6_addr *target,
	    int ifidx, const uint8_t *nonce, size_t len, int64_t now);
const struct nonce_ent *nonce_find(const struct nonce_cache *nc,
	    const struct in6_addr *peer, const struct in6_addr *target,
	    int ifidx, int64_t now);

/* Signatures (RFC 3971 5.2): RSASSA-PKCS1-v1_5 with SHA-1. */
int	snd_signed_octets(const uint8_t *pkt, size_t cut, uint8_t *out,
	    size_t cap, size_t *lenp);
void	snd_keyhash(const uint8_t *der, size_t len, uint8_t out[16]);
int	snd_sign(EVP_PKEY *key, const uint8_t *data, size_t len,
	    uint8_t *sig, size_t cap, size_t *siglenp);
int	snd_verify(EVP_PKEY *pub, const uint8_t *data, size_t len,
	    const uint8_t *sig, size_t siglen);

/*
 * The same with a context made once per key (snd_ctx(): @sign 1 to
 * sign, 0 to verify; EVP_PKEY_CTX_free() it) and a digest context
 * reused from message to message (@md; NULL: one made for the call).
 */
EVP_PKEY_CTX *snd_ctx(EVP_PKEY *key, int sign);
int	snd_sign_ctx(EVP_PKEY_CTX *ctx, EVP_MD_CTX *md, const uint8_t *data,
	    size_t len, uint8_t *sig, size_t cap, size_t *siglenp);
int	snd_verify_ctx(EVP_PKEY_CTX *ctx, EVP_MD_CTX *md,
	    const uint8_t *data, size_t len, const uint8_t *sig,
	    size_t siglen);

/*
 * The daemon: one CGA on one interface, its key, the caches and the
 * counters.  Callers serialise calls on one struct sendd.
 */
struct sendd {
	EVP_PKEY	*sd_key;	/* ours, private */
	uint8_t		 sd_params[CGA_PARAMS_MAX];
	size_t		 sd_paramslen;
	uint8_t		 sd_keyhash[16];
	struct in6_addr	 sd_addr;	/* our CGA */
	int		 sd_ifidx;	/* its interface */
	int		 sd_secure_only; /* drop unsecured messages */
	int		 sd_minbits;	/* accepted from peers */
	int		 sd_maxbits;
	int64_t		(*sd_clock)(void); /* ts_now(), or a test's */
	struct ts_cache	 sd_ts;
	struct nonce_cache sd_nonce_out; /* our solicitations */
	struct nonce_cache sd_nonce_in;	/* the peers' */
	uint64_t	 sd_ctr[SD_NCOUNTERS];
	uint8_t		 sd_data[SND_RCVBUF + 48]; /* the signed octets */
	EVP_PKEY_CTX	*sd_sctx;	/* signs with sd_key: made once */
	EVP_MD_CTX	*sd_md;		/* hashes the signed octets */
	struct key_cache sd_keys;	/* the peers' keys */
};

/* What to do with a message. */
enum sd_verdict {
	SD_PASS,		/* write it back (maybe changed: new length) */
	SD_DROP			/* drop it: counted */
};

int	sd_init(struct sendd *sd, EVP_PKEY *key, const uint8_t *params,
	    size_t paramslen, unsigned int sec, int ifidx);
void	sd_fini(struct sendd *sd);
int	sd_output(struct sendd *sd, uint8_t *pkt, size_t len, size_t cap,
	    int ifidx, size_t *lenp);
int	sd_input(struct sendd *sd, uint8_t *pkt, size_t len, int ifidx,
	    size_t *lenp);

/* rtnetlink (addr.c): the CGA on the interface. */
int	addr_add(int ifidx, const struct in6_addr *a);
int	addr_del(int ifidx, const struct in6_addr *a);
int	addr_flags(int ifidx, const struct in6_addr *a, uint32_t *flagsp);

#endif /* _SENDD_H_ */
