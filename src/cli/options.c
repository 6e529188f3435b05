/* SPDX-License-Identifier: ISC */
/*
 * options.c: the options of the `luksvol` command and the parsing of its
 * command line.
 *
 * Grammar (GNU style, as cryptsetup's; options may come before, between or
 * after the positional arguments):
 *   luksvol { --name | --name=VALUE | --name VALUE | -x | -xVALUE | -x VALUE
 *             | -xyz (flags) | WORD } [-- WORD...]
 * The first WORD is the verb, the second its action for a two-word verb
 * ("token export"), the others its positional arguments.
 * A long name must be written in full: getopt_long's unambiguous
 * abbreviations once turned `--header` into `--header-backup-file`.  Each
 * verb accepts its own options (verbs.c); messages name an option, never
 * its value (it might be someone's passphrase).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/*
 * The catalogue.  Its tables hold no pointer: a table of pointers is
 * relocated, so copied into pages of its own, by every command at start
 * (bench/issue14.md).  Names are inline; help texts are a table beside it.
 *   X(long name, has_arg, short name or 0, id, argument name or "", help)
 */
#define CLI_OPTIONS(X) \
	X("help", no_argument, 0, OPT_HELP, "", "show this help") \
	X("version", no_argument, 'V', OPT_VERSION, "", "print luksvol's version") \
	X("verbose", no_argument, 'v', OPT_VERBOSE, "", "say what was done") \
	X("batch-mode", no_argument, 'q', OPT_BATCH, "", "ask for no confirmation") \
	X("json", no_argument, 0, OPT_JSON, "", "JSON output") \
	X("test-passphrase", no_argument, 0, OPT_TEST_PASSPHRASE, "", \
	  "only check the passphrase; map nothing") \
	X("volume-key", no_argument, 0, OPT_VOLUME_KEY, "", \
	  "print the volume key (needs a passphrase)") \
	X("key-file", required_argument, 'd', OPT_KEY_FILE, "F", \
	  "read the passphrase from F (- for standard input)") \
	X("keyfile-size", required_argument, 0, OPT_KEYFILE_SIZE, "N", \
	  "read exactly N bytes of the passphrase") \
	X("keyfile-offset", required_argument, 0, OPT_KEYFILE_OFFSET, "N", \
	  "skip the first N bytes of the key file") \
	X("new-key-file", required_argument, 0, OPT_NEW_KEY_FILE, "F", \
	  "read the new passphrase from F (- for standard input)") \
	X("new-keyfile-size", required_argument, 0, OPT_NEW_KEYFILE_SIZE, "N", \
	  "read exactly N bytes of the new passphrase") \
	X("key-slot", required_argument, 'S', OPT_KEY_SLOT, "N", \
	  "the keyslot to unlock with, or to create (0..31)") \
	X("cipher", required_argument, 'c', OPT_CIPHER, "C", "data cipher (aes-xts-plain64)") \
	X("key-size", required_argument, 's', OPT_KEY_SIZE, "BITS", \
	  "volume key size (512 for XTS, else 256)") \
	X("sector-size", required_argument, 0, OPT_SECTOR_SIZE, "N", \
	  "encryption sector size, 512..4096") \
	X("luks2-metadata-size", required_argument, 0, OPT_METADATA_SIZE, "S", \
	  "metadata size, 16k..4m, a power of two") \
	X("luks2-keyslots-size", required_argument, 0, OPT_KEYSLOTS_SIZE, "S", \
	  "keyslots area size, 4 KiB aligned, at most 128m") \
	X("offset", required_argument, 0, OPT_OFFSET, "SECTORS", \
	  "data offset in 512-byte sectors") \
	X("uuid", required_argument, 0, OPT_UUID, "U", "this UUID instead of a random one") \
	X("label", required_argument, 0, OPT_LABEL, "L", \
	  "the header label (wipe: the GPT partition name)") \
	X("subsystem", required_argument, 0, OPT_SUBSYSTEM, "S", "the header subsystem") \
	X("pbkdf", required_argument, 0, OPT_PBKDF, "KDF", "pbkdf2, argon2i or argon2id") \
	X("hash", required_argument, 'h', OPT_HASH, "H", "pbkdf2, AF and digest hash (sha256)") \
	X("iter-time", required_argument, 'i', OPT_ITER_TIME, "MS", \
	  "KDF benchmark target (2000)") \
	X("pbkdf-memory", required_argument, 0, OPT_PBKDF_MEMORY, "KIB", "argon2 memory") \
	X("pbkdf-parallel", required_argument, 0, OPT_PBKDF_PARALLEL, "N", "argon2 threads") \
	X("pbkdf-force-iterations", required_argument, 0, OPT_PBKDF_FORCE_ITERATIONS, "N", \
	  "pbkdf2 iterations or argon2 time cost, no benchmark") \
	X("keyslot-cipher", required_argument, 0, OPT_KEYSLOT_CIPHER, "C", \
	  "the keyslot area's cipher (the data cipher; with --keyslot-key-size)") \
	X("keyslot-key-size", required_argument, 0, OPT_KEYSLOT_KEY_SIZE, "BITS", \
	  "the keyslot area's key size (with --keyslot-cipher)") \
	X("token-id", required_argument, 0, OPT_TOKEN_ID, "N", "the token id") \
	X("token-replace", no_argument, 0, OPT_TOKEN_REPLACE, "", \
	  "replace the token of that --token-id, in one write") \
	X("key-description", required_argument, 0, OPT_KEY_DESCRIPTION, "D", \
	  "the kernel keyring key of a luks2-keyring token") \
	X("json-file", required_argument, 0, OPT_JSON_FILE, "F", \
	  "the token JSON file (- for standard input or output)") \
	X("header-backup-file", required_argument, 0, OPT_BACKUP_FILE, "F", \
	  "the header backup file") \
	X("header", required_argument, 0, OPT_HEADER, "F", \
	  "a detached LUKS2 header: the verb reads and writes F, DEVICE holds the data") \
	X("readonly", no_argument, 'r', OPT_READONLY, "", "a read-only mapping") \
	X("allow-discards", no_argument, 0, OPT_ALLOW_DISCARDS, "", "pass discards through") \
	X("perf-same_cpu_crypt", no_argument, 0, OPT_SAME_CPU_CRYPT, "", \
	  "dm-crypt: encrypt on the submitting CPU") \
	X("perf-submit_from_crypt_cpus", no_argument, 0, OPT_SUBMIT_FROM_CRYPT_CPUS, "", \
	  "dm-crypt: submit writes from the crypt threads") \
	X("perf-no_read_workqueue", no_argument, 0, OPT_NO_READ_WORKQUEUE, "", \
	  "dm-crypt: bypass the read workqueue") \
	X("perf-no_write_workqueue", no_argument, 0, OPT_NO_WRITE_WORKQUEUE, "", \
	  "dm-crypt: bypass the write workqueue") \
	X("persistent", no_argument, 0, OPT_PERSISTENT, "", \
	  "also store the activation flags in the header") \
	X("disable-keyring", no_argument, 0, OPT_DISABLE_KEYRING, "", \
	  "the hex key in the table, not a keyring reference") \
	X("deferred", no_argument, 0, OPT_DEFERRED, "", "remove the mapping at its last close") \
	X("size", required_argument, 'b', OPT_SIZE, "SECTORS", \
	  "the mapping's new size in 512-byte sectors (0: to the device's end)") \
	X("device-size", required_argument, 0, OPT_DEVICE_SIZE, "BYTES", \
	  "the same in bytes, with k, m, g, t (KiB...), kB... or s (sectors)") \
	X("file", required_argument, 'f', OPT_FILE, "FILE", \
	  "the volume config (- for standard input)") \
	X("device", required_argument, 0, OPT_DEVICE, "VOLUMEID=PATH", \
	  "the device of a volume (repeatable)") \
	X("node-uuid", required_argument, 0, OPT_NODE_UUID, "U", "the node UUID of nodeID keys") \
	X("state-dir", required_argument, 0, OPT_STATE_DIR, "DIR", \
	  "where encryption-salt.yaml lives") \
	X("kms-ca", required_argument, 0, OPT_KMS_CA, "FILE", \
	  "a PEM CA trusted for https:// KMS endpoints besides the system roots") \
	X("no-activate", no_argument, 0, OPT_NO_ACTIVATE, "", "unlock and sync, map nothing") \
	X("no-sync", no_argument, 0, OPT_NO_SYNC, "", \
	  "open and map only: never change a header (rescue)") \
	X("dry-run", no_argument, 0, OPT_DRY_RUN, "", "print the plan, write nothing") \
	X("yes", no_argument, 0, OPT_YES, "", "ask for no confirmation") \
	X("token-only", no_argument, 0, OPT_TOKEN_ONLY, "", \
	  "unlock with the volume's tokens (clevis, systemd-tpm2), no passphrase") \
	X("token-type", required_argument, 0, OPT_TOKEN_TYPE, "T", "only tokens of type T") \
	X("tpm-tcti", required_argument, 0, OPT_TPM_TCTI, "TCTI", \
	  "the TPM (device:PATH, swtpm:host=H,port=P; default /dev/tpmrm0)") \
	X("tpm-pcr-public-key", required_argument, 0, OPT_TPM_PCR_PUBLIC_KEY, "F", \
	  "the PEM key that signs PCR 11 policies") \
	X("tpm-pcr-signature", required_argument, 0, OPT_TPM_PCR_SIGNATURE, "F", \
	  "the signed PCR policies (systemd-stub's .pcrsig JSON)") \
	X("efivars-dir", required_argument, 0, OPT_EFIVARS_DIR, "DIR", \
	  "the EFI variables of checkSecurebootStatusOnEnroll") \
	X("timeout", required_argument, 0, OPT_TIMEOUT, "SECONDS", \
	  "network timeout per server, 1..3600 (10)") \
	X("url", required_argument, 0, OPT_URL, "URL", "the tang server") \
	X("thumbprint", required_argument, 0, OPT_THUMBPRINT, "THP", \
	  "trust the tang key of this thumbprint (else show them and ask)") \
	X("pcrs", required_argument, 0, OPT_PCRS, "LIST", \
	  "the PCRs to seal to, as 0,7 (\"\": none)") \
	X("pcr-bank", required_argument, 0, OPT_PCR_BANK, "BANK", "the PCR bank (sha256)") \
	X("config", required_argument, 0, OPT_PIN_CONFIG, "JSON", \
	  "the pin's clevis config, as clevis luks bind takes it") \
	X("meta", required_argument, 0, OPT_META, "DEV", \
	  "the META partition (default: the partition named META)") \
	X("force-meta", no_argument, 0, OPT_FORCE_META, "", \
	  "write over a META neither of whose copies is valid") \
	X("value-file", required_argument, 0, OPT_VALUE_FILE, "F", \
	  "read the tag's value from F (- for standard input)") \
	X("show-secrets", no_argument, 0, OPT_SHOW_SECRETS, "", \
	  "print the values of tags that may hold secrets") \
	X("disk", required_argument, 0, OPT_DISK, "DISK", \
	  "look for the Talos partitions on DISK only")

struct cli_option {
	char name[28];			/* the long name; "" ends the table */
	char arg_name[16];		/* in help: "F"; "": takes none */
	unsigned char has_arg;		/* no_argument or required_argument */
	char short_name;		/* 0: long only */
	enum cli_opt id;
};

#define OPTION_ROW(long_name, has_arg, short_name, id, arg, help) \
	{ long_name, arg, has_arg, short_name, id },
#define HELP_ROW(long_name, has_arg, short_name, id, arg, help) help,

static const struct cli_option cli_options[] = {
	CLI_OPTIONS(OPTION_ROW) { "", "", no_argument, 0, OPT_END },
};
static const char cli_option_help[][80] = { CLI_OPTIONS(HELP_ROW) };

/* Each text fits its array with its NUL (C would drop a NUL that does not
 * fit, silently). */
#define FITS(long_name, has_arg, short_name, id, arg, help) \
	_Static_assert(sizeof(long_name) <= sizeof(cli_options[0].name) && \
		       sizeof(arg) <= sizeof(cli_options[0].arg_name) && \
		       sizeof(help) <= sizeof(cli_option_help[0]), "--" long_name ": text too long");
CLI_OPTIONS(FITS)

static const struct cli_option *option_by_id(enum cli_opt id)
{
	for (const struct cli_option *o = cli_options; o->name[0]; o++)
		if (o->id == id)
			return o;
	return NULL;
}

/* ---- scanning: the catalogue alone, before the verb is known ---- */

/* One option as the command line gave it. */
struct given_option {
	const struct cli_option *option;
	int typed_short;		/* written as -x */
	const char *value;
};

static void print_option(FILE *out, const struct given_option *g)
{
	if (g->typed_short)
		fprintf(out, "-%c (--%s)", g->option->short_name, g->option->name);
	else
		fprintf(out, "--%s", g->option->name);
}

static int scan_long(char **argv, int argc, int *i, struct given_option *g)
{
	const char *arg = argv[*i] + 2;
	size_t len = strcspn(arg, "=");

	g->option = NULL;
	for (const struct cli_option *o = cli_options; o->name[0]; o++)
		if (strlen(o->name) == len && strncmp(o->name, arg, len) == 0)
			g->option = o;
	if (!g->option) {
		fprintf(stderr, "luksvol: unknown option --%.*s\n", (int)len, arg);
		return -EINVAL;
	}
	g->typed_short = 0;
	g->value = arg[len] == '=' ? arg + len + 1 : NULL;
	if (g->option->has_arg == no_argument && g->value) {
		fprintf(stderr, "luksvol: option --%s takes no argument\n", g->option->name);
		return -EINVAL;
	}
	if (g->option->has_arg == required_argument && !g->value) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "luksvol: option --%s needs an argument\n", g->option->name);
			return -EINVAL;
		}
		g->value = argv[++*i];
	}
	return 0;
}

/* -xyz: flags, the last of which may take the rest or the next argument. */
static int scan_short(char **argv, int argc, int *i, struct given_option *given, int *count)
{
	for (const char *p = argv[*i] + 1; *p; p++) {
		struct given_option *g = &given[(*count)++];

		g->option = NULL;
		for (const struct cli_option *o = cli_options; o->name[0]; o++)
			if (o->short_name && o->short_name == *p)
				g->option = o;
		if (!g->option) {
			if (*p > ' ' && *p < 0x7f)
				fprintf(stderr, "luksvol: unknown option -%c\n", *p);
			else
				fprintf(stderr, "luksvol: unknown option\n");
			return -EINVAL;
		}
		g->typed_short = 1;
		g->value = NULL;
		if (g->option->has_arg == no_argument)
			continue;
		if (p[1])
			g->value = p + 1;
		else if (*i + 1 < argc)
			g->value = argv[++*i];
		else {
			fprintf(stderr, "luksvol: option -%c needs an argument\n", *p);
			return -EINVAL;
		}
		break;
	}
	return 0;
}

struct scanned {
	struct given_option *given;	/* at most one per character of argv */
	int given_count;
	const char **words;		/* positional arguments */
	int word_count;
};

static int scan(int argc, char **argv, struct scanned *s)
{
	size_t room = 0;
	int only_words = 0, r = 0;

	for (int i = 0; i < argc; i++)
		room += strlen(argv[i]) + 1;
	s->given = calloc(room, sizeof(*s->given));
	s->words = calloc((size_t)argc + 1, sizeof(*s->words));
	s->given_count = s->word_count = 0;
	if (!s->given || !s->words) {
		fprintf(stderr, "luksvol: out of memory\n");
		return -ENOMEM;
	}
	for (int i = 0; r == 0 && i < argc; i++) {
		const char *arg = argv[i];

		if (only_words || arg[0] != '-' || arg[1] == '\0')
			s->words[s->word_count++] = arg;
		else if (strcmp(arg, "--") == 0)
			only_words = 1;
		else if (arg[1] == '-')
			r = scan_long(argv, argc, &i, &s->given[s->given_count++]);
		else
			r = scan_short(argv, argc, &i, s->given, &s->given_count);
	}
	return r;
}

/* ---- numbers ---- */

/* A decimal number, optionally with a k/m/g (KiB/MiB/GiB) suffix when
 * units is set; the whole string must be consumed. */
static int parse_number(const char *text, int units, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t scale = 1;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return -EINVAL;
	if (units && *end) {
		switch (*end | 0x20) {
		case 'k': scale = 1ULL << 10; break;
		case 'm': scale = 1ULL << 20; break;
		case 'g': scale = 1ULL << 30; break;
		default: return -EINVAL;
		}
		end++;
	}
	if (*end || (value && scale > UINT64_MAX / value) || value * scale > max)
		return -EINVAL;
	*out = value * scale;
	return 0;
}

static int set_number(const struct cli_option *o, const char *text, int units, uint64_t max,
		      uint64_t *out)
{
	if (parse_number(text, units, max, out) < 0) {
		fprintf(stderr, "luksvol: --%s: \"%s\" is not a number in 0..%llu\n", o->name, text,
			(unsigned long long)max);
		return -EINVAL;
	}
	return 0;
}

/* cryptsetup's sizes: a number, then s (512-byte sectors) or k, m, g, t
 * (powers of 1024, also written KiB...) or kB, MB... (powers of 1000). */
static int parse_size(const char *text, uint64_t *out)
{
	static const char units[] = "kmgt";
	char *end;
	uint64_t scale = 1, base = 1024;

	if (*text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return -EINVAL;
	if (*end) {
		const char *unit = strchr(units, *end | 0x20);

		if (strcmp(end + 1, "B") == 0)
			base = 1000;
		else if (end[1] && strcmp(end + 1, "iB") != 0)
			return -EINVAL;
		if ((*end | 0x20) == 's' && !end[1])
			scale = 512;
		else if (!unit)
			return -EINVAL;
		for (const char *u = units; unit && u <= unit; u++)
			scale *= base;
	}
	if (value && scale > UINT64_MAX / value)
		return -EINVAL;
	*out = value * scale;
	return 0;
}

static int set_device_size(const struct cli_option *o, const char *text, uint64_t *sectors)
{
	uint64_t bytes;

	if (parse_size(text, &bytes) < 0 || bytes == 0) {
		fprintf(stderr, "luksvol: --%s: \"%s\" is not a size\n", o->name, text);
		return -EINVAL;
	}
	if (bytes % 512) {
		fprintf(stderr, "luksvol: --%s: device size must be a multiple of 512 bytes\n", o->name);
		return -EINVAL;
	}
	*sectors = bytes / 512;
	return 0;
}

static int set_u32(const struct cli_option *o, const char *text, uint32_t *out)
{
	uint64_t value;
	int r = set_number(o, text, 0, UINT32_MAX, &value);

	*out = (uint32_t)value;
	return r;
}

static int set_int(const struct cli_option *o, const char *text, int *out)
{
	uint64_t value;
	int r = set_number(o, text, 0, INT_MAX, &value);

	*out = (int)value;
	return r;
}

/* ---- values ---- */

static int set_format_option(const struct cli_option *o, const char *arg,
			     struct lv_format_params *f)
{
	uint64_t sectors;

	switch (o->id) {
	case OPT_CIPHER: f->cipher = arg; return 0;
	case OPT_KEY_SIZE: return set_u32(o, arg, &f->key_bits);
	case OPT_HASH: f->pbkdf.hash = arg; return 0;
	case OPT_ITER_TIME: return set_u32(o, arg, &f->pbkdf.iter_time_ms);
	case OPT_SECTOR_SIZE: return set_u32(o, arg, &f->sector_size);
	case OPT_PBKDF: f->pbkdf.type = arg; return 0;
	case OPT_PBKDF_MEMORY: return set_u32(o, arg, &f->pbkdf.memory_kib);
	case OPT_PBKDF_PARALLEL: return set_u32(o, arg, &f->pbkdf.parallel);
	case OPT_PBKDF_FORCE_ITERATIONS: return set_u32(o, arg, &f->pbkdf.forced_iterations);
	case OPT_KEYSLOT_CIPHER: f->pbkdf.area_cipher = arg; return 0;
	case OPT_KEYSLOT_KEY_SIZE: return set_u32(o, arg, &f->pbkdf.area_key_bits);
	case OPT_METADATA_SIZE: return set_number(o, arg, 1, UINT64_MAX, &f->metadata_bytes);
	case OPT_KEYSLOTS_SIZE: return set_number(o, arg, 1, UINT64_MAX, &f->keyslots_bytes);
	case OPT_OFFSET:
		/* --offset counts 512-byte sectors, as cryptsetup's does. */
		if (set_number(o, arg, 0, UINT64_MAX / 512, &sectors) < 0)
			return -EINVAL;
		f->data_offset_bytes = sectors * 512;
		return 0;
	case OPT_UUID: f->uuid = arg; return 0;
	case OPT_LABEL: f->label = arg; return 0;
	case OPT_SUBSYSTEM: f->subsystem = arg; return 0;
	default: return 0;
	}
}

static const unsigned activation_flag_of[OPT_COUNT] = {
	[OPT_ALLOW_DISCARDS] = LV_FLAG_ALLOW_DISCARDS,
	[OPT_SAME_CPU_CRYPT] = LV_FLAG_SAME_CPU_CRYPT,
	[OPT_SUBMIT_FROM_CRYPT_CPUS] = LV_FLAG_SUBMIT_FROM_CRYPT_CPUS,
	[OPT_NO_READ_WORKQUEUE] = LV_FLAG_NO_READ_WORKQUEUE,
	[OPT_NO_WRITE_WORKQUEUE] = LV_FLAG_NO_WRITE_WORKQUEUE,
};

/* Key file sizes are cryptsetup's: 32 bits, offsets 64. */
static int set_key_option(const struct cli_option *o, const char *arg, struct cli_opts *opts)
{
	switch (o->id) {
	case OPT_KEY_FILE: opts->key.path = arg; return 0;
	case OPT_KEYFILE_SIZE: return set_number(o, arg, 0, UINT32_MAX, &opts->key.size_limit);
	case OPT_KEYFILE_OFFSET: return set_number(o, arg, 0, UINT64_MAX, &opts->key.offset);
	case OPT_NEW_KEY_FILE: opts->new_key.path = arg; return 0;
	case OPT_NEW_KEYFILE_SIZE:
		return set_number(o, arg, 0, UINT32_MAX, &opts->new_key.size_limit);
	case OPT_KEY_SLOT: return set_int(o, arg, &opts->key_slot);
	default: return set_format_option(o, arg, &opts->format);
	}
}

static int set_timeout(const struct cli_option *o, const char *arg, unsigned *timeout_ms)
{
	uint64_t seconds;

	if (parse_number(arg, 0, 3600, &seconds) < 0 || seconds == 0) {
		fprintf(stderr, "luksvol: --%s: \"%s\" is not a number of seconds in 1..3600\n",
			o->name, arg);
		return -EINVAL;
	}
	*timeout_ms = (unsigned)seconds * 1000;
	return 0;
}

static int set_token_option(const struct cli_option *o, const char *arg, struct cli_opts *opts)
{
	switch (o->id) {
	case OPT_TOKEN_ONLY: opts->token_only = 1; return 0;
	case OPT_TOKEN_TYPE: opts->token_type = arg; return 0;
	case OPT_TIMEOUT: return set_timeout(o, arg, &opts->timeout_ms);
	case OPT_URL: opts->url = arg; return 0;
	case OPT_THUMBPRINT: opts->thumbprint = arg; return 0;
	case OPT_PCRS: opts->pcrs = arg; return 0;
	case OPT_PCR_BANK: opts->pcr_bank = arg; return 0;
	case OPT_PIN_CONFIG: opts->pin_config = arg; return 0;
	default: return set_key_option(o, arg, opts);
	}
}

static int set_option(const struct cli_option *o, const char *arg, struct cli_opts *opts)
{
	opts->given[o->id] = 1;
	opts->activation_flags |= activation_flag_of[o->id];
	switch (o->id) {
	case OPT_JSON: opts->json = 1; return 0;
	case OPT_VERBOSE: opts->verbose = 1; return 0;
	case OPT_BATCH: case OPT_YES: opts->batch = 1; return 0;
	case OPT_TEST_PASSPHRASE: opts->test_passphrase = 1; return 0;
	case OPT_VOLUME_KEY: opts->volume_key = 1; return 0;
	case OPT_LABEL: opts->label = arg; break;
	case OPT_SUBSYSTEM: opts->subsystem = arg; break;
	case OPT_TOKEN_ID: return set_int(o, arg, &opts->token_id);
	case OPT_JSON_FILE: opts->json_file = arg; return 0;
	case OPT_BACKUP_FILE: opts->backup_file = arg; return 0;
	case OPT_HEADER: opts->header = arg; return 0;
	case OPT_READONLY: opts->readonly = 1; return 0;
	case OPT_PERSISTENT: opts->persistent = 1; return 0;
	case OPT_DISABLE_KEYRING: opts->disable_keyring = 1; return 0;
	case OPT_DEFERRED: opts->deferred = 1; return 0;
	case OPT_SIZE: return set_number(o, arg, 0, UINT64_MAX, &opts->size_sectors);
	case OPT_DEVICE_SIZE: return set_device_size(o, arg, &opts->size_sectors);
	case OPT_DEVICE:
		if (opts->device_count == CLI_DEVICES_MAX) {
			fprintf(stderr, "luksvol: more than %d --device options\n", CLI_DEVICES_MAX);
			return -EINVAL;
		}
		opts->devices[opts->device_count++] = arg;
		return 0;
	case OPT_FILE: opts->config_file = arg; return 0;
	case OPT_NODE_UUID: opts->node_uuid = arg; return 0;
	case OPT_STATE_DIR: opts->state_dir = arg; return 0;
	case OPT_TPM_TCTI: opts->tpm_tcti = arg; return 0;
	case OPT_TPM_PCR_PUBLIC_KEY: opts->tpm_pcr_public_key = arg; return 0;
	case OPT_TPM_PCR_SIGNATURE: opts->tpm_pcr_signature = arg; return 0;
	case OPT_EFIVARS_DIR: opts->efivars_dir = arg; return 0;
	case OPT_KMS_CA: opts->kms_ca_file = arg; return 0;
	case OPT_NO_ACTIVATE: opts->no_activate = 1; return 0;
	case OPT_NO_SYNC: opts->no_sync = 1; return 0;
	case OPT_DRY_RUN: opts->dry_run = 1; return 0;
	case OPT_META: opts->meta_device = arg; return 0;
	case OPT_FORCE_META: opts->force_meta = 1; return 0;
	case OPT_VALUE_FILE: opts->value_file = arg; return 0;
	case OPT_SHOW_SECRETS: opts->show_secrets = 1; return 0;
	case OPT_DISK: opts->disk = arg; return 0;
	case OPT_KEY_DESCRIPTION: opts->key_description = arg; return 0;
	default: break;
	}
	return set_token_option(o, arg, opts);
}

/* ---- by name, for the cryptsetup syntax (compat_options.c) ---- */

static const struct cli_option *option_by_name(const char *name)
{
	for (const struct cli_option *o = cli_options; o->name[0]; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

int cli_option_takes_value(const char *name)
{
	const struct cli_option *o = option_by_name(name);

	return o ? o->has_arg == required_argument : -1;
}

int cli_set_named_option(const char *name, const char *value, struct cli_opts *opts)
{
	const struct cli_option *o = option_by_name(name);

	if (!o)
		return -ENOENT;
	return set_option(o, value, opts);
}

/* ---- verbs ---- */

static int general_option(enum cli_opt id);

int cli_verb_accepts(const struct cli_verb *verb, enum cli_opt option)
{
	if (general_option(option))
		return 1;
	for (const enum cli_opt *o = verb->options; *o != OPT_END; o++)
		if (*o == option)
			return 1;
	return 0;
}

/* Length of the verb's first word ("token" of "token export"). */
static size_t first_word_len(const char *name)
{
	return strcspn(name, " ");
}

static int same_family(const struct cli_verb *verb, const char *word)
{
	size_t len = first_word_len(verb->name);

	return strlen(word) == len && strncmp(verb->name, word, len) == 0;
}

/* The verb named by word and, for a two-word verb, next. */
static const struct cli_verb *find_verb(const char *word, const char *next)
{
	const struct cli_verb *one_word = NULL;

	for (unsigned i = 0; i < cli_verb_count; i++) {
		const struct cli_verb *v = &cli_verbs[i];
		const char *second = v->name + first_word_len(v->name);

		if (!same_family(v, word))
			continue;
		if (!*second)
			one_word = v;
		else if (next && strcmp(second + 1, next) == 0)
			return v;
	}
	return one_word;
}

/* One line per form; with a prefix, the later forms are indented under
 * the first. */
static void print_synopsis(const struct cli_verb *verb, FILE *out, const char *prefix)
{
	for (const char *form = verb->args, *lead = prefix;; lead = "") {
		size_t len = strcspn(form, "\n");

		fprintf(out, "%s%*sluksvol %s%s%.*s\n", lead,
			*lead ? 0 : (int)strlen(prefix), "", verb->name, len ? " " : "", (int)len, form);
		if (!form[len])
			break;
		form += len + 1;
	}
}

static void print_option_help(const struct cli_option *o, FILE *out)
{
	char left[64];

	snprintf(left, sizeof(left), "%c%c%s--%s%s%s", o->short_name ? '-' : ' ',
		 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
		 o->arg_name[0] ? " " : "", o->arg_name);
	fprintf(out, "  %-34s %s\n", left, cli_option_help[o - cli_options]);
}

static int general_option(enum cli_opt id)
{
	return id == OPT_HELP || id == OPT_VERSION || id == OPT_VERBOSE || id == OPT_BATCH;
}

/* The verb's own options, then those every verb takes. */
void cli_verb_help(const struct cli_verb *verb, FILE *out)
{
	print_synopsis(verb, out, "usage: ");
	fputs("options:\n", out);
	for (const struct cli_option *o = cli_options; o->name[0]; o++)
		if (!general_option(o->id) && cli_verb_accepts(verb, o->id))
			print_option_help(o, out);
	for (const struct cli_option *o = cli_options; o->name[0]; o++)
		if (general_option(o->id))
			print_option_help(o, out);
}

static void print_usage(FILE *out)
{
	fputs("usage: luksvol VERB [options] ARGS\n", out);
	for (unsigned i = 0; i < cli_verb_count; i++)
		print_synopsis(&cli_verbs[i], out, "  ");
	fputs("`luksvol VERB --help` lists the options of a verb; luksvol(8) and README.md\n"
	      "describe every verb, option and exit code.\n", out);
}

/* Every verb of word's family: the help, or a usage message. */
static void print_family(const char *word, FILE *out, int help)
{
	for (unsigned i = 0, n = 0; i < cli_verb_count; i++) {
		if (!same_family(&cli_verbs[i], word))
			continue;
		if (help)
			fputs(n++ ? "\n" : "", out);
		if (help)
			cli_verb_help(&cli_verbs[i], out);
		else
			print_synopsis(&cli_verbs[i], out, "luksvol: usage: ");
	}
}

/* ---- the command line ---- */

static int refuse_given(const struct cli_verb *verb, const struct scanned *s)
{
	for (int i = 0; i < s->given_count; i++) {
		const struct given_option *g = &s->given[i];

		if (!cli_verb_accepts(verb, g->option->id)) {
			fputs("luksvol: option ", stderr);
			print_option(stderr, g);
			fprintf(stderr, " is not allowed with %s\n", verb->name);
			return -EINVAL;
		}
	}
	return 0;
}

static int given(const struct scanned *s, enum cli_opt id)
{
	for (int i = 0; i < s->given_count; i++)
		if (s->given[i].option->id == id)
			return 1;
	return 0;
}

static int wants_help(const struct scanned *s)
{
	return given(s, OPT_HELP);
}

/* The positional arguments after the verb's name. */
static int take_words(const struct cli_verb *verb, const struct scanned *s, struct cli_opts *opts)
{
	int skip = verb->name[first_word_len(verb->name)] ? 2 : 1;
	int count = s->word_count - skip;

	if (count < verb->min_args || count > verb->max_args || count > CLI_POSITIONAL_MAX) {
		print_family(verb->name, stderr, 0);
		return -EINVAL;
	}
	for (int i = 0; i < count; i++)
		opts->positional[i] = s->words[skip + i];
	opts->positional_count = count;
	/* The verb works on the header; DEVICE only holds the data. */
	if (opts->header && count > 0) {
		opts->data_device = opts->positional[0];
		opts->positional[0] = opts->header;
	}
	return 0;
}

/* The verb named by word and next; with --help, prints its help and
 * returns 1. */
static int resolve_verb(const char *word, const char *next, const struct scanned *s,
			const struct cli_verb **verb)
{
	*verb = find_verb(word, next);
	if (wants_help(s)) {
		/* "config --help" shows config check and show too. */
		if (*verb && (*verb)->name[first_word_len((*verb)->name)])
			cli_verb_help(*verb, stdout);
		else
			print_family(word, stdout, 1);
		return 1;
	}
	if (*verb)
		return 0;
	if (next)
		fprintf(stderr, "luksvol: %s: unknown action \"%s\"\n", word, next);
	print_family(word, stderr, 0);
	return -EINVAL;
}

static int known_verb(const char *word)
{
	for (unsigned i = 0; i < cli_verb_count; i++)
		if (same_family(&cli_verbs[i], word))
			return 1;
	return 0;
}

/* The verb is the first word that is no option nor an option's value
 * (cryptsetup takes `-v luksFormat` too). */
static int find_command(const struct scanned *s, const struct cli_verb **verb)
{
	/* As cryptsetup's: with any verb or none, nothing else is done. */
	if (given(s, OPT_VERSION) && !wants_help(s)) {
		printf("luksvol %s\n", lv_version());
		return 1;
	}
	if (s->word_count == 0) {
		print_usage(wants_help(s) ? stdout : stderr);
		return wants_help(s) ? 1 : -EINVAL;
	}
	if (!known_verb(s->words[0])) {
		fprintf(stderr, "luksvol: unknown verb \"%s\"\n", s->words[0]);
		print_usage(stderr);
		return -EINVAL;
	}
	return resolve_verb(s->words[0], s->word_count > 1 ? s->words[1] : NULL, s, verb);
}

/* Before any passphrase is asked for. */
static int check_keyslot_cipher(const struct cli_opts *opts)
{
	struct lv_err err = { 0 };

	if (lv_keyslot_cipher_check(&opts->format.pbkdf, &err) < 0) {
		fprintf(stderr, "luksvol: %s\n", err.msg);
		return -EINVAL;
	}
	return 0;
}

int cli_parse(int argc, char **argv, const struct cli_verb **verb, struct cli_opts *opts)
{
	struct scanned s = { 0 };
	int r;

	opts->key_slot = LV_ANY_SLOT;
	opts->token_id = LV_ANY_SLOT;
	r = scan(argc - 1, argv + 1, &s);
	if (r == 0)
		r = find_command(&s, verb);
	if (r == 0)
		r = refuse_given(*verb, &s);
	for (int i = 0; r == 0 && i < s.given_count; i++)
		r = set_option(s.given[i].option, s.given[i].value, opts);
	if (r == 0 && opts->given[OPT_SIZE] && opts->given[OPT_DEVICE_SIZE]) {
		fputs("luksvol: options --device-size and --size cannot be combined\n", stderr);
		r = -EINVAL;
	}
	if (r == 0)
		r = check_keyslot_cipher(opts);
	if (r == 0)
		r = take_words(*verb, &s, opts);
	opts->format.key_slot = opts->key_slot;
	free(s.given);
	free(s.words);
	return r;
}

int cli_refuse_options(const struct cli_opts *opts, const char *mode,
		       const enum cli_opt *unusable)
{
	for (const enum cli_opt *id = unusable; *id != OPT_END; id++) {
		if (!opts->given[*id])
			continue;
		fprintf(stderr, "luksvol: option --%s cannot be used with %s\n",
			option_by_id(*id)->name, mode);
		return EXIT_BAD_PARAM;
	}
	return 0;
}
