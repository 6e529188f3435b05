/* SPDX-License-Identifier: ISC */
/*
 * test_keys.c: the Talos key derivations (talos-encryption.md §2) and the
 * encryption-salt.yaml format, against Talos's own test values.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/keysrc.h"
#include "lv_features.h"

/* Talos's verbatim fixture (controllers/secrets encryption salt test). */
static const char talos_salt_text[] =
	"diskSalt:\n    - 240\n    - 180\n    - 79\n    - 128\n    - 31\n    - 0\n    - 19\n"
	"    - 124\n    - 165\n    - 74\n    - 113\n    - 220\n    - 27\n    - 83\n    - 46\n"
	"    - 74\n    - 204\n    - 190\n    - 217\n    - 96\n    - 221\n    - 2\n    - 165\n"
	"    - 98\n    - 245\n    - 36\n    - 165\n    - 151\n    - 149\n    - 66\n    - 113\n"
	"    - 16\n";
static const uint8_t talos_salt[LV_STATE_SALT_LEN] = {
	240, 180, 79, 128, 31, 0, 19, 124, 165, 74, 113, 220, 27, 83, 46, 74,
	204, 190, 217, 96, 221, 2, 165, 98, 245, 36, 165, 151, 149, 66, 113, 16,
};

static struct lv_config_key key_of(enum lv_key_kind kind, int slot, int lock_to_state)
{
	struct lv_config_key key = { .slot = slot, .kind = kind, .lock_to_state = lock_to_state };
	return key;
}

static void assert_secret_text(const struct lv_secret *secret, const void *bytes, size_t len)
{
	assert_non_null(secret);
	assert_int_equal(secret->len, len);
	assert_memory_equal(secret->bytes, bytes, len);
}

static void test_nodeid_talos_vector(void **state)
{
	static const char expected[] = "12345678-1234-5678-1234-567812345678test";
	struct lv_key_settings settings = { .node_uuid = "12345678-1234-5678-1234-567812345678" };
	struct lv_key_context ctx = { .volume_id = "test", .settings = &settings };
	struct lv_config_key key = key_of(LV_KEY_NODEID, 0, 0);
	struct lv_secret *passphrase;
	struct lv_err err = { 0 };
	char *token = (char *)1;

	(void)state;
	assert_int_equal(lv_key_derive_new(&key, &ctx, &passphrase, &token, &err), 0);
	assert_null(token);
	assert_secret_text(passphrase, expected, sizeof(expected) - 1);
	lv_secret_free(&passphrase);
	assert_int_equal(lv_key_derive_existing(&key, &ctx, NULL, &passphrase, &err), 0);
	assert_secret_text(passphrase, expected, sizeof(expected) - 1);
	lv_secret_free(&passphrase);
	lv_key_context_release(&ctx);
}

static void test_nodeid_entropy_check(void **state)
{
	struct lv_key_settings settings = { .node_uuid = "11111111-0000-1111-1111-111111111111" };
	struct lv_key_context ctx = { .volume_id = "STATE", .settings = &settings };
	struct lv_config_key key = key_of(LV_KEY_NODEID, 0, 0);
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	char *token = NULL;

	(void)state;
	assert_int_equal(lv_key_derive_new(&key, &ctx, &passphrase, &token, &err), -EINVAL);
	assert_null(passphrase);
	assert_string_equal(err.msg,
			    "machine UUID 11111111-0000-1111-1111-111111111111 entropy check failed");
	/* 18 of 36 is allowed, 19 is not (count > len/2). */
	assert_int_equal(lv_node_uuid_check("aaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbb", NULL), 0);
	assert_int_equal(lv_node_uuid_check("aaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbb", NULL), -EINVAL);
	assert_int_equal(lv_node_uuid_check("", &err), -EINVAL);
	assert_string_equal(err.msg, "machine UUID is not populated");
}

static void test_static_key_bytes(void **state)
{
	static const char phrase[] = "top secret\n";	/* a newline is kept as written */
	struct lv_key_context ctx = { .volume_id = "u-data" };
	struct lv_config_key key = key_of(LV_KEY_STATIC, 3, 0);
	struct lv_secret *passphrase;
	struct lv_err err = { 0 };
	char *token = NULL;

	(void)state;
	key.static_key.passphrase = lv_secret_dup(phrase, sizeof(phrase) - 1);
	assert_int_equal(lv_key_derive_new(&key, &ctx, &passphrase, &token, &err), 0);
	assert_secret_text(passphrase, phrase, sizeof(phrase) - 1);
	lv_secret_free(&passphrase);
	lv_secret_free(&key.static_key.passphrase);
	assert_int_equal(lv_key_derive_new(&key, &ctx, &passphrase, &token, &err), -EINVAL);
	assert_string_equal(err.msg, "slot 3: static key must have key data defined");
}

static char *temp_dir(void)
{
	char *dir = strdup("/tmp/lv-keys-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void remove_dir(char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, LV_STATE_SALT_FILE);
	unlink(path);
	rmdir(dir);
	free(dir);
}

/* §2.5: inner passphrase ‖ the 32 salt bytes of encryption-salt.yaml. */
static void test_lock_to_state_appends_salt(void **state)
{
	static const char phrase[] = "topsecret";
	char *dir = temp_dir();
	struct lv_key_settings settings = { .state_dir = dir };
	struct lv_key_context ctx = { .volume_id = "u-data", .settings = &settings };
	struct lv_config_key key = key_of(LV_KEY_STATIC, 1, 1);
	struct lv_secret *passphrase;
	struct lv_err err = { 0 };
	uint8_t expected[sizeof(phrase) - 1 + LV_STATE_SALT_LEN];

	(void)state;
	write_file(dir, LV_STATE_SALT_FILE, talos_salt_text);
	key.static_key.passphrase = lv_secret_dup(phrase, sizeof(phrase) - 1);
	memcpy(expected, phrase, sizeof(phrase) - 1);
	memcpy(expected + sizeof(phrase) - 1, talos_salt, LV_STATE_SALT_LEN);
	assert_int_equal(lv_key_derive_existing(&key, &ctx, NULL, &passphrase, &err), 0);
	assert_secret_text(passphrase, expected, sizeof(expected));
	assert_int_equal(ctx.salt_created, 0);
	lv_secret_free(&passphrase);
	lv_secret_free(&key.static_key.passphrase);
	lv_key_context_release(&ctx);
	remove_dir(dir);
}

static void test_salt_round_trip(void **state)
{
	uint8_t salt[LV_STATE_SALT_LEN];
	struct lv_err err = { 0 };
	char *text;

	(void)state;
	assert_int_equal(lv_state_salt_parse(talos_salt_text, strlen(talos_salt_text), salt, &err), 0);
	assert_memory_equal(salt, talos_salt, sizeof(salt));
	text = lv_state_salt_format(salt);
	assert_string_equal(text, talos_salt_text);
	free(text);
	/* The same meaning in flow style is read too. */
	text = strdup("{diskSalt: [240, 180, 79, 128, 31, 0, 19, 124, 165, 74, 113, 220, 27, 83, 46, 74,"
		      " 204, 190, 217, 96, 221, 2, 165, 98, 245, 36, 165, 151, 149, 66, 113, 16]}");
	memset(salt, 0, sizeof(salt));
	assert_int_equal(lv_state_salt_parse(text, strlen(text), salt, &err), 0);
	assert_memory_equal(salt, talos_salt, sizeof(salt));
	free(text);
}

static void test_salt_rejects_bad_files(void **state)
{
	static const char *const bad[] = {
		"diskSalt:\n    - 1\n",			/* too short */
		"diskSalt:\n    - 256\n",
		"diskSalt:\n    - -1\n",
		"diskSalt: 5\n",
		"salt:\n    - 1\n",
		"",
		"diskSalt: [",
	};
	uint8_t salt[LV_STATE_SALT_LEN];
	struct lv_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(lv_state_salt_parse(bad[i], strlen(bad[i]), salt, &err), -EINVAL);
		assert_true(strncmp(err.msg, LV_STATE_SALT_FILE ":", strlen(LV_STATE_SALT_FILE) + 1) == 0);
	}
}

static void test_salt_created_once(void **state)
{
	char *dir = temp_dir(), path[512], text[1024];
	struct lv_secret *first, *second;
	struct lv_err err = { 0 };
	struct stat st;
	int created, fd;
	ssize_t n;
	uint8_t parsed[LV_STATE_SALT_LEN];

	(void)state;
	assert_int_equal(lv_state_salt_load(dir, 0, &first, &created, &err), -ENOENT);
	assert_int_equal(lv_state_salt_load(dir, 1, &first, &created, &err), 0);
	assert_int_equal(created, 1);
	assert_int_equal(lv_state_salt_load(dir, 1, &second, &created, &err), 0);
	assert_int_equal(created, 0);
	assert_true(lv_secret_equal(first, second));
	snprintf(path, sizeof(path), "%s/%s", dir, LV_STATE_SALT_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fd = open(path, O_RDONLY);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	assert_true(n > 0);
	text[n] = '\0';
	assert_int_equal(lv_state_salt_parse(text, (size_t)n, parsed, &err), 0);
	assert_memory_equal(parsed, first->bytes, LV_STATE_SALT_LEN);
	lv_secret_free(&first);
	lv_secret_free(&second);
	remove_dir(dir);
}

static void test_salt_fingerprint(void **state)
{
	struct lv_secret *salt = lv_secret_dup(talos_salt, sizeof(talos_salt));
	char hex[65];

	(void)state;
	/* HMAC-SHA256(salt, "encryption salt checksum"), computed with Python's hmac. */
	assert_int_equal(lv_state_salt_fingerprint(salt, hex), 0);
	assert_string_equal(hex, "2a79d3bac1111d060c3a69850b3a85395704ee330256794eabea18d40bbbbcf4");
	lv_secret_free(&salt);
}

/* Every kind's source is named as the config names the kind. */
static void test_sources_named_as_config(void **state)
{
	(void)state;
	for (int kind = 0; kind < LV_KEY_KIND_COUNT; kind++) {
		const char *why = NULL;
		const struct lv_keysrc_ops *ops = lv_keysrc_of((enum lv_key_kind)kind, &why);

		if (ops)
			assert_string_equal(ops->name, lv_key_kind_name((enum lv_key_kind)kind));
		else
			assert_non_null(why);
	}
	assert_non_null(lv_keysrc_of(LV_KEY_STATIC, NULL));
	assert_non_null(lv_keysrc_of(LV_KEY_NODEID, NULL));
}

/* Test sources: what they saw and did, in a state of their own. */
struct probe_state {
	int inits, calls, finis;
	unsigned sleep_ms;		/* blocks that long, minding no deadline */
	int polite;			/* gives up when no time is left */
	const char *token;		/* what new_key returns */
};

static struct probe_state probe;

static int probe_init(struct lv_key_context *ctx, const struct lv_config_key *key, void **state,
		      struct lv_err *err)
{
	(void)ctx;
	(void)key;
	(void)err;
	probe.inits++;
	*state = &probe;
	return 0;
}

static int probe_block(struct probe_state *st, struct lv_key_context *ctx, struct lv_err *err)
{
	st->calls++;
	for (unsigned waited = 0; waited < st->sleep_ms; waited += 10) {
		if (st->polite && lv_keysrc_remaining_ms(ctx) == 0)
			return lv_err_set(err, -ETIMEDOUT, "probe: out of time");
		usleep(10000);
	}
	return 0;
}

/* The passphrase says which CA file the settings gave the source. */
static int probe_new_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
			 struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	struct probe_state *st = state;
	const char *ca = ctx->settings->kms_ca_file;
	int r = probe_block(st, ctx, err);

	(void)key;
	if (r < 0)
		return r;
	*passphrase = lv_secret_dup(ca, strlen(ca));
	*token_json = st->token ? strdup(st->token) : NULL;
	return 0;
}

static int probe_get_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
			 const char *token_json, struct lv_secret **passphrase, struct lv_err *err)
{
	int r = probe_block(state, ctx, err);

	(void)key;
	if (r < 0)
		return r;
	*passphrase = lv_secret_dup(token_json, strlen(token_json));
	return 0;
}

static void probe_fini(void *state)
{
	((struct probe_state *)state)->finis++;
}

static const struct lv_keysrc_ops probe_ops = {
	.name = "probe", .token_type = "probe-token",
	.init = probe_init, .new_key = probe_new_key, .get_key = probe_get_key, .fini = probe_fini,
};

static const char probe_token[] = "{\"type\":\"probe-token\",\"keyslots\":[],\"x\":1}";

/* The settings reach the source; its state is made once per slot and
 * finished with the context; its token's type is checked both ways. */
static void test_source_state_settings_tokens(void **state)
{
	struct lv_key_settings settings = { .kms_ca_file = "/etc/kms-ca.pem" };
	struct lv_key_context ctx = { .volume_id = "u-data", .settings = &settings };
	struct lv_config_key key = key_of(LV_KEY_KMS, 3, 0), other = key_of(LV_KEY_KMS, 4, 0);
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	char *token = NULL;

	(void)state;
	memset(&probe, 0, sizeof(probe));
	probe.token = probe_token;
	assert_int_equal(lv_keysrc_new_key(&probe_ops, &key, &ctx, &passphrase, &token, &err), 0);
	assert_secret_text(passphrase, "/etc/kms-ca.pem", 15);
	assert_string_equal(token, probe_token);
	lv_secret_free(&passphrase);
	free(token);
	assert_int_equal(lv_keysrc_get_key(&probe_ops, &key, &ctx, probe_token, &passphrase, &err), 0);
	lv_secret_free(&passphrase);
	assert_int_equal(lv_keysrc_get_key(&probe_ops, &other, &ctx, probe_token, &passphrase, &err), 0);
	lv_secret_free(&passphrase);
	assert_int_equal(probe.inits, 2);
	/* No token, or another type: the source is not asked. */
	assert_int_equal(lv_keysrc_get_key(&probe_ops, &key, &ctx, NULL, &passphrase, &err),
			 LV_KEY_TOKEN_INVALID);
	assert_int_equal(lv_keysrc_get_key(&probe_ops, &key, &ctx,
					   "{\"type\":\"sideroKMS\",\"keyslots\":[]}", &passphrase, &err),
			 LV_KEY_TOKEN_INVALID);
	assert_int_equal(probe.calls, 3);
	/* A new key must come with a token of the source's type. */
	probe.token = NULL;
	assert_int_equal(lv_keysrc_new_key(&probe_ops, &key, &ctx, &passphrase, &token, &err), -EINVAL);
	probe.token = "{\"type\":\"other\",\"keyslots\":[]}";
	assert_int_equal(lv_keysrc_new_key(&probe_ops, &key, &ctx, &passphrase, &token, &err), -EINVAL);
	assert_null(passphrase);
	assert_null(token);
	lv_key_context_release(&ctx);
	assert_int_equal(probe.finis, 2);
}

/* A source that overruns settings.key_timeout_ms fails with -ETIMEDOUT
 * and its result is wiped; a polite one stops when no time is left. */
static void test_source_time_bound(void **state)
{
	struct lv_key_settings settings = { .kms_ca_file = "ca", .key_timeout_ms = 100 };
	struct lv_key_context ctx = { .volume_id = "u-data", .settings = &settings };
	struct lv_config_key key = key_of(LV_KEY_KMS, 2, 0);
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	char *token = NULL;
	uint64_t started;

	(void)state;
	memset(&probe, 0, sizeof(probe));
	probe.token = probe_token;
	probe.sleep_ms = 300;
	assert_int_equal(lv_keysrc_new_key(&probe_ops, &key, &ctx, &passphrase, &token, &err),
			 -ETIMEDOUT);
	assert_string_equal(err.msg, "slot 2: the probe key took longer than 100 ms");
	assert_null(passphrase);
	assert_null(token);
	probe.polite = 1;
	probe.sleep_ms = 10000;
	started = lv_keysrc_now_ms();
	assert_int_equal(lv_keysrc_get_key(&probe_ops, &key, &ctx, probe_token, &passphrase, &err),
			 -ETIMEDOUT);
	assert_true(lv_keysrc_now_ms() - started < 5000);
	assert_null(passphrase);
	/* Talos's default: 20 s. */
	settings.key_timeout_ms = 0;
	probe.sleep_ms = 0;
	started = lv_keysrc_now_ms();
	assert_int_equal(lv_keysrc_get_key(&probe_ops, &key, &ctx, probe_token, &passphrase, &err), 0);
	assert_true(ctx.deadline_ms >= started + LV_KEY_TIMEOUT_MS);
	lv_secret_free(&passphrase);
	lv_key_context_release(&ctx);
}

/* A kind a build flag left out says which flag; with the flag, the
 * tpm source writes talos-tpm2 tokens. */
static void check_left_out(enum lv_key_kind kind, int built, const char *token_type,
			   const char *flag)
{
	const char *why = NULL;
	const struct lv_keysrc_ops *ops = lv_keysrc_of(kind, &why);
	char expected[128];

	if (built) {
		assert_non_null(ops);
		assert_string_equal(ops->token_type, token_type);
		return;
	}
	assert_null(ops);
	snprintf(expected, sizeof(expected), "not supported by this build (built with %s=0)", flag);
	assert_string_equal(why, expected);
}

static void test_left_out_kinds(void **state)
{
	(void)state;
	check_left_out(LV_KEY_TPM, LV_WITH_TPM, "talos-tpm2", "WITH_TPM");
	check_left_out(LV_KEY_KMS, LV_WITH_KMS, "sideroKMS", "WITH_KMS");
}

/* A source's notices: kept for the derivation that made them (at most
 * LV_KEY_NOTICES_MAX), gone when the next one starts. */
static int noisy_new_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
			 struct lv_secret **passphrase, char **token_json, struct lv_err *err)
{
	(void)state;
	(void)token_json;
	(void)err;
	for (int i = 0; i < key->slot; i++)
		lv_keysrc_notice(ctx, "notice %d of slot %d", i, key->slot);
	*passphrase = lv_secret_dup("k", 1);
	return 0;
}

static int noisy_get_key(void *state, struct lv_key_context *ctx, const struct lv_config_key *key,
			 const char *token_json, struct lv_secret **passphrase, struct lv_err *err)
{
	(void)token_json;
	return noisy_new_key(state, ctx, key, passphrase, NULL, err);
}

static const struct lv_keysrc_ops noisy_ops = {
	.name = "noisy", .new_key = noisy_new_key, .get_key = noisy_get_key,
};

static void test_source_notices(void **state)
{
	struct lv_key_context ctx = { .volume_id = "u-data" };
	struct lv_config_key two = key_of(LV_KEY_STATIC, 2, 0), many = key_of(LV_KEY_STATIC, 9, 0),
			     none = key_of(LV_KEY_STATIC, 0, 0);
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	char *token = NULL;

	(void)state;
	assert_int_equal(lv_keysrc_new_key(&noisy_ops, &two, &ctx, &passphrase, &token, &err), 0);
	lv_secret_free(&passphrase);
	assert_int_equal(ctx.notice_count, 2);
	assert_string_equal(ctx.notices[0], "notice 0 of slot 2");
	assert_string_equal(ctx.notices[1], "notice 1 of slot 2");
	assert_int_equal(lv_keysrc_get_key(&noisy_ops, &many, &ctx, NULL, &passphrase, &err), 0);
	lv_secret_free(&passphrase);
	assert_int_equal(ctx.notice_count, LV_KEY_NOTICES_MAX);
	assert_string_equal(ctx.notices[LV_KEY_NOTICES_MAX - 1], "notice 3 of slot 9");
	assert_int_equal(lv_keysrc_new_key(&noisy_ops, &none, &ctx, &passphrase, &token, &err), 0);
	lv_secret_free(&passphrase);
	assert_int_equal(ctx.notice_count, 0);
	/* A get_key refused before the source runs says nothing either. */
	ctx.notice_count = 1;
	assert_int_equal(lv_keysrc_get_key(&probe_ops, &two, &ctx, NULL, &passphrase, &err),
			 LV_KEY_TOKEN_INVALID);
	assert_int_equal(ctx.notice_count, 0);
	lv_key_context_release(&ctx);
}

#if LV_WITH_KMS
/* A kms key's endpoint is checked once, before any call, and named. */
static void test_kms_bad_endpoint(void **state)
{
	struct lv_key_settings settings = { .node_uuid = "4c4c4544-0042-3510-8052-b4c04f4b4d32" };
	struct lv_key_context ctx = { .volume_id = "u-data", .settings = &settings };
	struct lv_config_key key = key_of(LV_KEY_KMS, 0, 0);
	struct lv_secret *passphrase = NULL;
	struct lv_err err = { 0 };
	char *token = NULL;

	(void)state;
	key.kms.endpoint = "kms example:4050";
	assert_int_equal(lv_key_derive_new(&key, &ctx, &passphrase, &token, &err), -EINVAL);
	assert_string_equal(err.msg, "kms kms example:4050: bad endpoint: bad character in the host name");
	key.kms.endpoint = NULL;
	assert_int_equal(lv_key_derive_new(&key, &ctx, &passphrase, &token, &err), -EINVAL);
	assert_string_equal(err.msg, "slot 0: kms key has no endpoint");
	lv_key_context_release(&ctx);
}

/* The settings' CA file is checked before any key: none is fine, a path
 * that is no PEM file is refused and named. */
static void test_kms_ca_checked_first(void **state)
{
	struct lv_key_settings settings = { 0 };
	struct lv_err err = { 0 };

	(void)state;
	assert_int_equal(lv_key_settings_check(&settings, &err), 0);
	settings.kms_ca_file = "/nonexistent/ca.pem";
	assert_int_equal(lv_key_settings_check(&settings, &err), -EINVAL);
	assert_string_equal(err.msg, "CA file /nonexistent/ca.pem: No such file or directory");
	settings.kms_ca_file = "/";
	assert_int_equal(lv_key_settings_check(&settings, &err), -EINVAL);
	assert_string_equal(err.msg, "CA file /: not a regular file");
}

/* A listening socket nobody accepts on: the TCP handshake completes, no
 * answer ever comes.  Returns the port. */
static int silent_listener(int *fd)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*fd >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(*fd, 4), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&addr, &len), 0);
	return ntohs(addr.sin_port);
}

/* derive_new against the silent server; returns the ms it took. */
static uint64_t kms_silent_call(const struct lv_key_settings *settings, const char *endpoint,
				struct lv_err *err)
{
	struct lv_key_context ctx = { .volume_id = "u-data", .settings = settings };
	struct lv_config_key key = key_of(LV_KEY_KMS, 1, 0);
	struct lv_secret *passphrase = NULL;
	char *token = NULL;
	uint64_t started = lv_keysrc_now_ms();

	key.kms.endpoint = (char *)endpoint;
	assert_int_equal(lv_key_derive_new(&key, &ctx, &passphrase, &token, err), -ETIMEDOUT);
	assert_null(passphrase);
	assert_null(token);
	lv_key_context_release(&ctx);
	return lv_keysrc_now_ms() - started;
}

/* One KMS call gets the lesser of the KMS timeout and what is left of the
 * key's bound; the node UUID goes out without nodeID's entropy check (a
 * UUID that fails it reaches the network: Talos's kms.go checks nothing). */
static void test_kms_call_bounded(void **state)
{
	struct lv_key_settings settings = { .node_uuid = "11111111-0000-1111-1111-111111111111",
					    .key_timeout_ms = 400 };
	struct lv_err err = { 0 };
	char endpoint[64];
	uint64_t took;
	int fd, port = silent_listener(&fd);

	(void)state;
	snprintf(endpoint, sizeof(endpoint), "127.0.0.1:%d", port);
	took = kms_silent_call(&settings, endpoint, &err);
	assert_true(took >= 300 && took < 3000);
	assert_non_null(strstr(err.msg, ": Seal: no complete answer within "));
	assert_true(strtoul(strstr(err.msg, "within ") + 7, NULL, 10) <= 400);
	/* The KMS call's own bound, when it is the smaller. */
	settings.key_timeout_ms = 0;
	settings.kms_timeout_ms = 300;
	took = kms_silent_call(&settings, endpoint, &err);
	assert_true(took >= 250 && took < 3000);
	assert_non_null(strstr(err.msg, "Seal: no complete answer within 300 ms"));
	close(fd);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodeid_talos_vector),
		cmocka_unit_test(test_nodeid_entropy_check),
		cmocka_unit_test(test_static_key_bytes),
		cmocka_unit_test(test_lock_to_state_appends_salt),
		cmocka_unit_test(test_salt_round_trip),
		cmocka_unit_test(test_salt_rejects_bad_files),
		cmocka_unit_test(test_salt_created_once),
		cmocka_unit_test(test_salt_fingerprint),
		cmocka_unit_test(test_sources_named_as_config),
		cmocka_unit_test(test_source_state_settings_tokens),
		cmocka_unit_test(test_source_time_bound),
		cmocka_unit_test(test_left_out_kinds),
		cmocka_unit_test(test_source_notices),
#if LV_WITH_KMS
		cmocka_unit_test(test_kms_bad_endpoint),
		cmocka_unit_test(test_kms_ca_checked_first),
		cmocka_unit_test(test_kms_call_bounded),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
