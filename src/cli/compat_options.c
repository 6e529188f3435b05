/* SPDX-License-Identifier: ISC */
/*
 * compat_options.c: cryptsetup 2.6.1's command line (src/cryptsetup.c,
 * src/cryptsetup_arg_list.h): its option names, the actions each is
 * allowed with, and popt's messages.
 *
 * Grammar: { --name[=VALUE] | --name VALUE | -x[VALUE] | -xyz | WORD }...
 * The first WORD is the action, the others its arguments; "--" ends the
 * options.  Long names are whole words (popt has no abbreviations).
 * Options luksvol's own syntax also has are set through the shared
 * catalogue (options.c), under luksvol's name for them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/compat.h"

/* The actions an option is allowed with, as cryptsetup_args.h lists them;
 * NULL: every action.  "open" also covers luksOpen and refresh. */
#define A_FORMAT "luksFormat"
#define A_KEYS "luksFormat luksAddKey luksChangeKey luksConvertKey"

enum numeric {
	NUM_NONE = 0,
	NUM_ANY,		/* popt reads a number: "invalid numeric value" */
	NUM_BITS,		/* and cryptsetup wants whole bytes */
	NUM_KEY_BITS,		/* the same, unsigned and not 0 */
};

struct compat_option {
	char name[32];			/* "" ends the table */
	char short_name;
	unsigned char has_arg;
	char actions[96];		/* space-separated; "": every action */
	char shared[32];		/* the name in luksvol's catalogue; "": none */
	enum compat_opt id;		/* COPT_NONE when shared */
	enum numeric numeric;
};

/*
 * Its rows hold no pointer: a table of pointers is relocated, so copied
 * into pages of its own, by every command at start (bench/issue14.md).
 *   X(name, short name or 0, has_arg, actions or "", shared name or "",
 *     id, numeric)
 */
#define COMPAT_OPTIONS(X) \
	X("batch-mode", 'q', 0, "", "batch-mode", COPT_NONE, 0) \
	X("verbose", 'v', 0, "", "verbose", COPT_NONE, 0) \
	X("debug", 0, 0, "", "", COPT_DEBUG, 0) \
	X("debug-json", 0, 0, "", "", COPT_DEBUG, 0) \
	X("version", 'V', 0, "", "", COPT_VERSION, 0) \
	X("cipher", 'c', 1, "", "cipher", COPT_NONE, 0) \
	X("hash", 'h', 1, "", "hash", COPT_NONE, 0) \
	X("key-file", 'd', 1, "", "key-file", COPT_NONE, 0) \
	X("keyfile-size", 'l', 1, "", "keyfile-size", COPT_NONE, NUM_ANY) \
	X("keyfile-offset", 0, 1, "", "keyfile-offset", COPT_NONE, NUM_ANY) \
	X("new-keyfile", 0, 1, "luksAddKey", "new-key-file", COPT_NONE, 0) \
	X("new-keyfile-size", 0, 1, "", "new-keyfile-size", COPT_NONE, NUM_ANY) \
	X("new-keyfile-offset", 0, 1, "", "", COPT_NEW_KEYFILE_OFFSET, NUM_ANY) \
	X("volume-key-file", 0, 1, "", "", COPT_VOLUME_KEY_FILE, 0) \
	X("master-key-file", 0, 1, "", "", COPT_VOLUME_KEY_FILE, 0) \
	X("key-slot", 'S', 1, "open config luksFormat luksAddKey luksChangeKey luksConvertKey " \
	  "luksDump token luksResume", "key-slot", COPT_NONE, NUM_ANY) \
	X("key-size", 's', 1, "open benchmark luksFormat luksAddKey", \
	  "key-size", COPT_NONE, NUM_BITS) \
	X("sector-size", 0, 1, "open luksFormat", "sector-size", COPT_NONE, NUM_ANY) \
	X("luks2-metadata-size", 0, 1, A_FORMAT, "luks2-metadata-size", COPT_NONE, 0) \
	X("luks2-keyslots-size", 0, 1, A_FORMAT, "luks2-keyslots-size", COPT_NONE, 0) \
	X("offset", 'o', 1, "open luksFormat", "offset", COPT_NONE, NUM_ANY) \
	X("align-payload", 0, 1, A_FORMAT, "", COPT_ALIGN_PAYLOAD, NUM_ANY) \
	X("uuid", 0, 1, "luksFormat luksUUID", "uuid", COPT_NONE, 0) \
	X("label", 0, 1, "config luksFormat", "label", COPT_NONE, 0) \
	X("subsystem", 0, 1, "config luksFormat", "subsystem", COPT_NONE, 0) \
	X("pbkdf", 0, 1, A_KEYS " benchmark", "pbkdf", COPT_NONE, 0) \
	X("iter-time", 'i', 1, A_KEYS " benchmark", "iter-time", COPT_NONE, NUM_ANY) \
	X("pbkdf-memory", 0, 1, "", "pbkdf-memory", COPT_NONE, NUM_ANY) \
	X("pbkdf-parallel", 0, 1, "", "pbkdf-parallel", COPT_NONE, NUM_ANY) \
	X("pbkdf-force-iterations", 0, 1, A_KEYS, "pbkdf-force-iterations", COPT_NONE, NUM_ANY) \
	X("keyslot-cipher", 0, 1, A_KEYS, "keyslot-cipher", COPT_NONE, 0) \
	X("keyslot-key-size", 0, 1, A_KEYS, "keyslot-key-size", COPT_NONE, NUM_KEY_BITS) \
	X("use-random", 0, 0, A_FORMAT, "", COPT_USE_RANDOM, 0) \
	X("use-urandom", 0, 0, A_FORMAT, "", COPT_USE_URANDOM, 0) \
	X("integrity", 'I', 1, A_FORMAT, "", COPT_INTEGRITY, 0) \
	X("type", 'M', 1, "", "", COPT_TYPE, 0) \
	X("header", 0, 1, "", "", COPT_HEADER, 0) \
	X("header-backup-file", 0, 1, "", "header-backup-file", COPT_NONE, 0) \
	X("dump-json-metadata", 0, 0, "", "", COPT_DUMP_JSON, 0) \
	X("dump-volume-key", 0, 0, "", "", COPT_DUMP_VOLUME_KEY, 0) \
	X("dump-master-key", 0, 0, "", "", COPT_DUMP_VOLUME_KEY, 0) \
	X("json-file", 0, 1, "", "json-file", COPT_NONE, 0) \
	X("token-id", 0, 1, "", "token-id", COPT_NONE, NUM_ANY) \
	X("token-only", 0, 0, "", "", COPT_TOKEN_ONLY, 0) \
	X("token-type", 0, 1, "", "", COPT_TOKEN_TYPE, 0) \
	X("token-replace", 0, 0, "token", "", COPT_TOKEN_REPLACE, 0) \
	X("key-description", 0, 1, "", "", COPT_KEY_DESCRIPTION, 0) \
	X("priority", 0, 1, "config", "", COPT_PRIORITY, 0) \
	X("tries", 'T', 1, "", "", COPT_TRIES, NUM_ANY) \
	X("timeout", 't', 1, "", "", COPT_TIMEOUT, NUM_ANY) \
	X("verify-passphrase", 'y', 0, "", "", COPT_VERIFY, 0) \
	X("disable-locks", 0, 0, "", "", COPT_DISABLE_LOCKS, 0) \
	X("disable-external-tokens", 0, 0, "", "", COPT_DISABLE_EXTERNAL_TOKENS, 0) \
	X("disable-keyring", 0, 0, "", "disable-keyring", COPT_NONE, 0) \
	X("readonly", 'r', 0, "", "readonly", COPT_NONE, 0) \
	X("allow-discards", 0, 0, "open", "allow-discards", COPT_NONE, 0) \
	X("perf-same_cpu_crypt", 0, 0, "", "perf-same_cpu_crypt", COPT_NONE, 0) \
	X("perf-submit_from_crypt_cpus", 0, 0, "", "perf-submit_from_crypt_cpus", COPT_NONE, 0) \
	X("perf-no_read_workqueue", 0, 0, "", "perf-no_read_workqueue", COPT_NONE, 0) \
	X("perf-no_write_workqueue", 0, 0, "", "perf-no_write_workqueue", COPT_NONE, 0) \
	X("persistent", 0, 0, "open", "persistent", COPT_NONE, 0) \
	X("refresh", 0, 0, "open", "", COPT_REFRESH, 0) \
	X("test-passphrase", 0, 0, "open", "test-passphrase", COPT_NONE, 0) \
	X("serialize-memory-hard-pbkdf", 0, 0, "open", "", COPT_SERIALIZE, 0) \
	X("shared", 0, 0, "open", "", COPT_SHARED, 0) \
	X("unbound", 0, 0, "luksAddKey luksDump open token", "", COPT_UNBOUND, 0) \
	X("deferred", 0, 0, "close", "deferred", COPT_NONE, 0) \
	X("size", 'b', 1, "open resize", "size", COPT_NONE, NUM_ANY) \
	X("device-size", 0, 1, "open resize", "device-size", COPT_NONE, 0)

#define COMPAT_ROW(name, short_name, has_arg, actions, shared, id, numeric) \
	{ name, short_name, has_arg, actions, shared, id, numeric },

static const struct compat_option compat_options[] = {
	COMPAT_OPTIONS(COMPAT_ROW) { "", 0, 0, "", "", COPT_NONE, NUM_NONE },
};

/* Each text fits its array with its NUL (C would drop a NUL that does not
 * fit, silently). */
#define COMPAT_FITS(long_name, short_name, has_arg, action_list, shared_name, id, numeric) \
	_Static_assert(sizeof(long_name) <= sizeof(compat_options[0].name) && \
		       sizeof(action_list) <= sizeof(compat_options[0].actions) && \
		       sizeof(shared_name) <= sizeof(compat_options[0].shared), \
		       "--" long_name ": text too long");
COMPAT_OPTIONS(COMPAT_FITS)

struct pending {
	const struct compat_option *option;
	const char *value;
};

int compat_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* popt's usage line, then "ARGV0: MESSAGE" (cryptsetup's usage()). */
static void usage_message(const char *who, const char *fmt, va_list ap)
{
	fputs("Usage: cryptsetup [OPTION...] <action> <action-specific>\n", stderr);
	fprintf(stderr, "%s: ", who);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int compat_usage(const struct compat_opts *opts, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (opts->native) {
		fputs("luksvol: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		usage_message(opts->argv0, fmt, ap);
	}
	va_end(ap);
	return EXIT_BAD_PARAM;
}

static int bad_option(const char *typed, const char *message)
{
	fputs("Usage: cryptsetup [OPTION...] <action> <action-specific>\n", stderr);
	fprintf(stderr, "%s: %s\n", typed, message);
	return EXIT_BAD_PARAM;
}

static const struct compat_option *long_option(const char *name, size_t len)
{
	for (const struct compat_option *o = compat_options; o->name[0]; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static const struct compat_option *short_option(char c)
{
	for (const struct compat_option *o = compat_options; o->name[0]; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

static int is_number(const char *text)
{
	if (*text == '-' || *text == '+')
		text++;
	if (!*text)
		return 0;
	for (; *text; text++)
		if (*text < '0' || *text > '9')
			return 0;
	return 1;
}

static int set_compat(const struct compat_option *o, const char *value, struct compat_opts *opts)
{
	char *end;

	opts->copt[o->id] = 1;
	switch (o->id) {
	case COPT_TYPE: opts->type = value; break;
	case COPT_HEADER: opts->header = value; break;
	case COPT_VOLUME_KEY_FILE: opts->volume_key_file = value; break;
	case COPT_KEY_DESCRIPTION: opts->key_description = value; break;
	case COPT_TOKEN_TYPE: opts->token_type = value; break;
	case COPT_PRIORITY: opts->priority = value; break;
	case COPT_NEW_KEYFILE_OFFSET:
		opts->base.new_key.offset = strtoull(value, &end, 10);
		break;
	case COPT_ALIGN_PAYLOAD:
		opts->align_payload_sectors = (uint32_t)strtoul(value, &end, 10);
		break;
	default: break;
	}
	return 0;
}

/* One option with its value (NULL for a flag). */
static int apply_option(const struct compat_option *o, const char *value,
			struct compat_opts *opts)
{
	if (!o->shared[0])
		return set_compat(o, value, opts);
	return cli_set_named_option(o->shared, value, &opts->base) < 0 ? EXIT_BAD_PARAM : 0;
}


static int scan_long(int argc, char **argv, int *i, struct pending *p)
{
	const char *arg = argv[*i] + 2;
	size_t len = strcspn(arg, "=");

	p->option = long_option(arg, len);
	if (!p->option)
		return bad_option(argv[*i], "unknown option");
	p->value = arg[len] == '=' ? arg + len + 1 : NULL;
	if (!p->option->has_arg && p->value)
		return bad_option(argv[*i], "option does not take an argument");
	if (p->option->has_arg && !p->value) {
		if (*i + 1 >= argc)
			return bad_option(argv[*i], "missing argument");
		p->value = argv[++*i];
	}
	return 0;
}

/* -xyz: flags; the first that takes a value takes the rest or the next word. */
static int scan_short(int argc, char **argv, int *i, struct pending *p, int *count)
{
	for (const char *c = argv[*i] + 1; *c; c++) {
		char typed[3] = { '-', *c, 0 };
		struct pending *q = &p[(*count)++];

		q->option = short_option(*c);
		if (!q->option)
			return bad_option(typed, "unknown option");
		q->value = NULL;
		if (!q->option->has_arg)
			continue;
		if (c[1])
			q->value = c + 1;
		else if (*i + 1 < argc)
			q->value = argv[++*i];
		else
			return bad_option(typed, "missing argument");
		break;
	}
	return 0;
}

static int words_and_options(int argc, char **argv, struct pending *pending, int *count,
			     const char **words, int *word_count)
{
	int only_words = 0, r = 0;

	for (int i = 0; r == 0 && i < argc; i++) {
		const char *arg = argv[i];

		if (only_words || arg[0] != '-' || arg[1] == '\0')
			words[(*word_count)++] = arg;
		else if (strcmp(arg, "--") == 0)
			only_words = 1;
		else if (arg[1] == '-')
			r = scan_long(argc, argv, &i, &pending[(*count)++]);
		else
			r = scan_short(argc, argv, &i, pending, count);
	}
	return r;
}

static int option_allowed(const struct compat_option *o, const char *action)
{
	size_t len = strlen(action);

	if (!o->actions[0])
		return 1;
	for (const char *a = o->actions; *a; a += strcspn(a, " "), a += *a == ' ')
		if (strcspn(a, " ") == len && strncmp(a, action, len) == 0)
			return 1;
	return 0;
}

/* cryptsetup's action words and the action they mean; type is what
 * luksOpen and the like imply. */
static const struct {
	const char *word;
	const char *action;
	const char *type;
} aliases[] = {
	{ "luksOpen", "open", "luks" }, { "luksClose", "close", NULL },
	{ "remove", "close", NULL }, { "luksErase", "erase", NULL },
	{ "luksConfig", "config", NULL }, { "refresh", "open", NULL },
	{ "plainOpen", "open", "plain" }, { "loopaesOpen", "open", "loopaes" },
	{ "tcryptOpen", "open", "tcrypt" }, { "bitlkOpen", "open", "bitlk" },
	{ "fvault2Open", "open", "fvault2" }, { "create", "open", "plain" },
	{ "plainClose", "close", NULL }, { "loopaesClose", "close", NULL },
	{ "tcryptClose", "close", NULL }, { "bitlkClose", "close", NULL },
	{ "fvault2Close", "close", NULL },
};

static void resolve_action(const char *word, struct compat_opts *opts)
{
	opts->action = word;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(word, aliases[i].word) != 0)
			continue;
		opts->action = aliases[i].action;
		if (aliases[i].type)
			opts->type = aliases[i].type;
		if (strcmp(word, "refresh") == 0)
			opts->copt[COPT_REFRESH] = 1;
	}
}

static int bits_valid(const struct pending *p)
{
	if (p->option->numeric == NUM_KEY_BITS && (p->value[0] == '-' || p->value[0] == '+' ||
						    strtoul(p->value, NULL, 10) == 0))
		return 0;
	return 1;
}

/* cryptsetup's checks, in its order: numbers, whole bytes, the actions
 * each option is allowed with; then the options are set and checked
 * together. */
static int apply_all(struct pending *pending, int count, struct compat_opts *opts)
{
	for (int i = 0; i < count; i++) {
		const struct compat_option *o = pending[i].option;

		if (o->numeric && (!is_number(pending[i].value) || !bits_valid(&pending[i])))
			return compat_usage(opts, "invalid numeric value");
	}
	for (int i = 0; i < count; i++)
		if (pending[i].option->numeric >= NUM_BITS && strtol(pending[i].value, NULL, 10) % 8)
			return compat_usage(opts, "Key size must be a multiple of 8 bits");
	for (int i = 0; i < count; i++) {
		const struct compat_option *o = pending[i].option;

		if (!option_allowed(o, opts->action))
			return compat_usage(opts, "Option --%s is not allowed with %s action.", o->name,
					    opts->action);
	}
	for (int i = 0; i < count; i++) {
		int r = apply_option(pending[i].option, pending[i].value, opts);

		if (r != 0)
			return r;
	}
	if (opts->base.given[OPT_KEYSLOT_CIPHER] != opts->base.given[OPT_KEYSLOT_KEY_SIZE])
		return compat_usage(opts, "Options --keyslot-cipher and --keyslot-key-size must be "
				    "used together.");
	return -1;
}

static int has_version(const struct pending *pending, int count)
{
	for (int i = 0; i < count; i++)
		if (pending[i].option->id == COPT_VERSION)
			return 1;
	return 0;
}

int compat_parse(int argc, char **argv, struct compat_opts *opts)
{
	size_t room = 1;
	const char **words;
	int word_count = 0, r;

	for (int i = 0; i < argc; i++)
		room += strlen(argv[i]) + 1;
	opts->pending = calloc(room, sizeof(struct pending));
	words = calloc((size_t)argc + 1, sizeof(*words));
	if (!opts->pending || !words) {
		free(words);
		return compat_error(EXIT_NO_MEM, "Out of memory.");
	}
	opts->base.key_slot = LV_ANY_SLOT;
	opts->base.token_id = LV_ANY_SLOT;
	r = words_and_options(argc, argv, opts->pending, &opts->pending_count, words, &word_count);
	if (r == 0 && has_version(opts->pending, opts->pending_count)) {
		printf("cryptsetup 2.6.1 flags: (luksvol)\n");
		r = EXIT_OK;
	} else if (r == 0 && word_count == 0) {
		r = compat_usage(opts, "Argument <action> missing.");
	} else if (r == 0) {
		resolve_action(words[0], opts);
		r = -1;
	}
	for (int i = 1; r == -1 && i < word_count && opts->arg_count < COMPAT_ARGS_MAX; i++)
		opts->args[opts->arg_count++] = words[i];
	free(words);
	return r;
}

int compat_apply_options(struct compat_opts *opts)
{
	int r = apply_all(opts->pending, opts->pending_count, opts);

	opts->base.format.key_slot = opts->base.key_slot;
	return r;
}

void compat_opts_free(struct compat_opts *opts)
{
	free(opts->pending);
	opts->pending = NULL;
}
