/* pull: download a GGUF model from Hugging Face into models/<org>/<repo>/. */
#include "localmodel/cleanup.h"
#include "localmodel/cmd.h"
#include "localmodel/fit.h"
#include "localmodel/gguf.h"
#include "localmodel/http.h"
#include "localmodel/hub.h"
#include "localmodel/hw.h"
#include "localmodel/pull.h"
#include "localmodel/store.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct lm_opt opts[] = {
	{ "file", 0, LM_OPT_LIST, "PATH", "download this file of the repo (mmproj, imatrix too)" },
	{ "connections", 0, LM_OPT_VALUE, "N", "parallel connections per file (auto)" },
	LM_OPT_END,
};

static volatile sig_atomic_t pull_cancel;

/* SIGINT/SIGTERM set the cancel flag (a waiting flock returns), so the
 * partial file and its state are kept for a resume. */
static void catch_signals(void)
{
	cmd_catch_signals(&pull_cancel, 0);
}

struct pull_req {
	char repo[256];
	char quant[64];   /* as asked, or "" */
	const char **files; /* every --file, in order (NULL-terminated) */
	int nfiles;
	long connections;
};

/* ORG/REPO[:QUANT] */
static int parse_spec(const char *spec, struct pull_req *q, struct lm_err *err)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);

	if (n >= sizeof(q->repo))
		return lm_err_set(err, LM_EUSAGE, "'%s' is too long", spec);
	memcpy(q->repo, spec, n);
	q->repo[n] = '\0';
	if (!hub_repo_valid(q->repo))
		return lm_err_set(err, LM_EUSAGE, "'%s' is not a model name (want ORG/REPO[:QUANT])",
				  spec);
	if (colon) {
		if (!colon[1] || strlen(colon + 1) >= sizeof(q->quant) || strpbrk(colon + 1, "/:"))
			return lm_err_set(err, LM_EUSAGE, "'%s' has a bad quant after ':'", spec);
		lm_strlcpy(q->quant, colon + 1, sizeof(q->quant));
	}
	return LM_OK;
}

/* ---- fitting -------------------------------------------------------- */

struct fit_ctx {
	const char *repo;
	struct lm_ctx *ctx;
	struct lm_fit_machine mc;
	uint64_t reserve;
	int known;
	int probed;
};

/* Probe the machine (only when a choice needs it: a named quant or file
 * does not). */
static void fit_ctx_init(struct lm_ctx *ctx, struct fit_ctx *fc)
{
	const struct lm_machine *m = ctx_machine(ctx);

	fc->probed = 1;
	fc->reserve = m->reserve;
	if (m->ok && hw_planning_ram(&m->hw)) {
		fc->mc = m->plan;
		fc->known = 1;
	}
}

static int group_fits(void *p, const struct hub_group *g)
{
	struct fit_ctx *fc = p;
	if (!fc->probed)
		fit_ctx_init(fc->ctx, fc);
	return fc->known ? pull_fits_size(&fc->mc, fc->reserve, fc->repo, g->size) : -1;
}

/* ---- progress ------------------------------------------------------- */

struct progress {
	struct lm_ctx *ctx;
	char label[128];
	uint64_t before; /* bytes of the parts already done */
	uint64_t total;  /* all parts */
	int part, nparts;
	int file, nfiles; /* the group among the pull's groups */
};

static void on_progress(void *p, const struct lm_dl_progress *d)
{
	struct progress *pr = p;
	char extra[64];

	extra[0] = '\0';
	if (pr->nfiles > 1)
		snprintf(extra, sizeof(extra), "file %d/%d", pr->file, pr->nfiles);
	if (pr->nparts > 1) {
		size_t n = strlen(extra);
		snprintf(extra + n, sizeof(extra) - n, "%spart %d/%d", n ? ", " : "", pr->part,
			 pr->nparts);
	}
	if (d->connections > 1) {
		size_t n = strlen(extra);
		snprintf(extra + n, sizeof(extra) - n, "%s%d conn", n ? ", " : "", d->connections);
	}
	ui_progress(pr->ctx, pr->label, pr->before + d->done, pr->total, d->rate,
		    extra[0] ? extra : NULL);
}

static void on_wait(void *p, const char *path, long pid)
{
	struct lm_ctx *ctx = p;
	if (pid > 0)
		ui_info(ctx, "'%s' is being downloaded by another localmodel (pid %ld); waiting",
			path, pid);
	else
		ui_info(ctx, "'%s' is being downloaded by another localmodel; waiting", path);
}

/* ---- the pull ------------------------------------------------------- */

struct part {
	const struct hub_file *file;
	char dest[PATH_MAX];
	char *url;
	char *start_url; /* the resolved URL (CDN), when known */
	char sha[65];
	char git_sha1[41]; /* a plain git file's blob id */
	int ahead;         /* its index in the resolve-ahead list, or -1 */
	struct pull_result res;
};

/* One chosen group of files (a quant, a --file): one inventory row. */
struct grp {
	const struct hub_group *g;
	char name[512];  /* org/repo:QUANT */
	char quant[64];
	struct part *parts;
	int nparts;
	const char *alias_of; /* the row this name became an alias of */
	int done;             /* downloaded and recorded */
};

struct job {
	struct pull_req req;
	struct lm_hub *hub;
	struct hub_repo info;
	struct hub_file *files;
	size_t nfiles;
	struct hub_group *groups;
	size_t ngroups;
	const char *commit;
	struct grp *sel; /* the quant's group first, then each --file's, once each */
	int nsel;
	struct lm_model *owned; /* inventory, for trust and reuse */
	size_t nowned;
	struct hub_prefetch *ahead; /* resolves every part but the first, while it downloads */
};

static void job_release(struct job *j)
{
	hub_prefetch_free(j->ahead);
	for (int k = 0; k < j->nsel; k++) {
		for (int i = 0; i < j->sel[k].nparts; i++) {
			free(j->sel[k].parts[i].url);
			free(j->sel[k].parts[i].start_url);
		}
		free(j->sel[k].parts);
	}
	free(j->sel);
	free(j->req.files);
	hub_group_list_free(j->groups, j->ngroups);
	hub_file_list_free(j->files, j->nfiles);
	hub_repo_release(&j->info);
	hub_free(j->hub);
	store_model_list_free(j->owned, j->nowned);
}

/* The inventory name's quant: the asked one (asked, "" for a --file) as the
 * file names spell it. */
static void pick_quant_name(const struct job *j, struct grp *gr, const char *asked)
{
	const char *b = strrchr(gr->g->parts[0]->path, '/');
	b = b ? b + 1 : gr->g->parts[0]->path;
	if (gr->g->aux) {
		snprintf(gr->quant, sizeof(gr->quant), "%.*s", (int)(strlen(b) - 5), b);
	} else if (asked[0]) {
		for (size_t i = 0; asked[i] && i + 1 < sizeof(gr->quant); i++)
			gr->quant[i] = (char)toupper((unsigned char)asked[i]);
	} else if (gr->g->quant[0]) {
		lm_strlcpy(gr->quant, gr->g->quant, sizeof(gr->quant));
	} else {
		snprintf(gr->quant, sizeof(gr->quant), "%.*s", (int)(strlen(b) - 5), b);
	}
	snprintf(gr->name, sizeof(gr->name), "%s:%s", j->req.repo, gr->quant);
}

/* Take a part's resolve answer: its hash when the listing had none, and
 * where its bytes are. */
static void part_resolved(struct part *p, struct hub_resolved *res)
{
	if (!p->sha[0] && res->etag && strlen(res->etag) == 64)
		lm_strlcpy(p->sha, res->etag, sizeof(p->sha));
	p->start_url = res->location;
	res->location = NULL;
	hub_resolved_release(res);
}

/* Resolve every part after the very first one (of every group) on a thread
 * while the first downloads: one list for the whole pull. */
static int resolve_ahead(struct job *j, struct lm_err *err)
{
	const char **paths;
	size_t n = 0;
	int rc;

	for (int k = 0; k < j->nsel; k++)
		n += (size_t)j->sel[k].nparts;
	if (n < 2)
		return LM_OK;
	paths = lm_xcalloc(n, sizeof(*paths));
	n = 0;
	for (int k = 0; k < j->nsel; k++)
		for (int i = 0; i < j->sel[k].nparts; i++) {
			struct part *p = &j->sel[k].parts[i];
			if (k == 0 && i == 0)
				continue;
			p->ahead = (int)n;
			paths[n++] = p->file->path;
		}
	rc = hub_prefetch_start(&j->ahead, j->req.repo, j->commit, paths, n, err);
	free(paths);
	return rc;
}

/* Add group `idx` to the pull unless it is there already (a file named
 * twice, the quant's own file named again). */
static int add_group(struct lm_ctx *ctx, struct job *j, size_t idx, const char *asked,
		     struct lm_err *err)
{
	struct grp *gr;

	for (int k = 0; k < j->nsel; k++)
		if (j->sel[k].g == &j->groups[idx])
			return LM_OK;
	gr = &j->sel[j->nsel++];
	gr->g = &j->groups[idx];
	pick_quant_name(j, gr, asked);
	gr->nparts = gr->g->nparts;
	gr->parts = lm_xcalloc((size_t)gr->nparts, sizeof(*gr->parts));
	for (int i = 0; i < gr->nparts; i++) {
		struct part *p = &gr->parts[i];
		char rel[PATH_MAX];
		p->file = gr->g->parts[i];
		p->ahead = -1;
		snprintf(rel, sizeof(rel), "%s/%s", j->req.repo, p->file->path);
		if (paths_join(p->dest, sizeof(p->dest), ctx->paths.models_dir, rel) < 0)
			return lm_err_set(err, LM_EFAIL, "path too long: '%s'", rel);
		if (p->file->sha256)
			lm_strlcpy(p->sha, p->file->sha256, sizeof(p->sha));
		else if (p->file->oid && strlen(p->file->oid) == 40)
			lm_strlcpy(p->git_sha1, p->file->oid, sizeof(p->git_sha1));
		p->url = hub_file_url(j->hub, j->req.repo, j->commit, p->file->path);
	}
	return LM_OK;
}

/* Choose every group before anything starts: the quant's (or the best
 * fit's, when neither a quant nor a file is named), then each --file's. A
 * bad name fails here, before a byte is downloaded. */
static int select_all(struct lm_ctx *ctx, struct job *j, struct lm_err *err)
{
	struct fit_ctx fc;
	size_t chosen;
	int rc;

	memset(&fc, 0, sizeof(fc));
	fc.ctx = ctx;
	fc.repo = j->req.repo;
	j->sel = lm_xcalloc((size_t)j->req.nfiles + 1, sizeof(*j->sel));
	if (j->req.quant[0] || !j->req.nfiles) {
		if ((rc = hub_select(j->groups, j->ngroups, j->req.quant, NULL, group_fits, &fc,
				     &chosen, err)))
			return lm_err_prefix(err, "%s", j->req.repo);
		if ((rc = add_group(ctx, j, chosen, j->req.quant, err)))
			return rc;
	}
	for (int f = 0; f < j->req.nfiles; f++) {
		if ((rc = hub_select(j->groups, j->ngroups, NULL, j->req.files[f], group_fits, &fc,
				     &chosen, err)))
			return lm_err_prefix(err, "%s", j->req.repo);
		if ((rc = add_group(ctx, j, chosen, "", err)))
			return rc;
	}
	return LM_OK;
}

/* List the repo, choose the files; the first part's download follows the
 * resolve redirect itself (a gated repo's is asked first, for its errors),
 * the others are resolved ahead, during the download. */
static int plan(struct lm_ctx *ctx, struct job *j, struct lm_err *err)
{
	int rc;

	if ((rc = hub_open(&j->hub, err)))
		return rc;
	if ((rc = hub_model_files(j->hub, j->req.repo, &j->info, &j->files, &j->nfiles, err)))
		return rc;
	j->commit = j->info.sha && *j->info.sha ? j->info.sha : "main";
	hub_group_files(j->files, j->nfiles, &j->groups, &j->ngroups);
	if ((rc = select_all(ctx, j, err)))
		return rc;
	if (j->info.gated) {
		/* access shows only on the files: ask before anything starts */
		struct hub_resolved res;
		if ((rc = hub_resolve(j->hub, j->req.repo, j->commit, j->sel[0].parts[0].file->path,
				      &res, err)))
			return rc;
		part_resolved(&j->sel[0].parts[0], &res);
	}
	return resolve_ahead(j, err);
}

/* Bytes still to be allocated: the parts not at their final path yet, less
 * what their partial files already hold on disk, over every group. */
static uint64_t bytes_needed(const struct job *j)
{
	uint64_t need = 0;
	for (int k = 0; k < j->nsel; k++)
		for (int i = 0; i < j->sel[k].nparts; i++) {
			const struct part *p = &j->sel[k].parts[i];
			uint64_t size = p->file->size, have = 0;
			struct stat st;
			char partial[PATH_MAX + 8];
			if (stat(p->dest, &st) == 0 && (uint64_t)st.st_size == size)
				continue;
			snprintf(partial, sizeof(partial), "%s.part", p->dest);
			if (stat(partial, &st) == 0)
				have = (uint64_t)st.st_blocks * 512;
			need += have < size ? size - have : 0;
		}
	return need;
}

/* Our own models: the row of this model (trust), other rows (reuse). */
static void load_owned(struct lm_ctx *ctx, struct job *j)
{
	struct lm_err err;
	if (ctx->store && store_model_list(ctx->store, &j->owned, &j->nowned, &err)) {
		j->owned = NULL;
		j->nowned = 0;
	}
}

/* A full disk: name the partial files kept, and how to resume or remove
 * them (they hold the space until then). */
static void partial_kept(const struct grp *gr, struct lm_err *err)
{
	char why[sizeof(err->msg)], size[32];
	uint64_t kept = 0;
	int nkept = 0;
	const char *first = NULL;

	for (int i = 0; i < gr->nparts; i++) {
		char partial[PATH_MAX + 8];
		struct stat st;
		snprintf(partial, sizeof(partial), "%s.part", gr->parts[i].dest);
		if (stat(partial, &st) == 0) {
			kept += (uint64_t)st.st_blocks * 512;
			if (!nkept++)
				first = gr->parts[i].dest;
		}
	}
	if (!nkept)
		return;
	lm_strlcpy(why, err->msg, sizeof(why));
	lm_format_size(kept, size, sizeof(size));
	lm_err_set(err, LM_ERESOURCE, "%s; kept the partial download '%s.part'%s (%s): free some"
		   " space and run the same pull to resume, or remove it with 'localmodel cleanup"
		   " --partial'", why, first, nkept > 1 ? " and others" : "", size);
}

/* Download the parts of group k (0-based); a part resolved ahead starts at
 * the CDN. */
static int fetch_group(struct lm_ctx *ctx, struct job *j, int k, struct lm_err *err)
{
	struct grp *gr = &j->sel[k];
	const struct lm_model *row = NULL;
	const char **cands = lm_xcalloc(j->nowned + 1, sizeof(*cands));
	struct progress pr;
	struct pull_opts o;
	size_t nc = 0;
	int rc = LM_OK;

	for (size_t i = 0; i < j->nowned; i++) {
		if (!strcmp(j->owned[i].model, gr->name))
			row = &j->owned[i];
		if (j->owned[i].file_path && j->owned[i].sha256)
			cands[nc++] = j->owned[i].file_path;
	}
	memset(&pr, 0, sizeof(pr));
	pr.ctx = ctx;
	snprintf(pr.label, sizeof(pr.label), "%s", gr->name);
	pr.total = gr->g->size;
	pr.nparts = gr->nparts;
	pr.file = k + 1;
	pr.nfiles = j->nsel;
	memset(&o, 0, sizeof(o));
	o.connections = (int)j->req.connections;
	o.progress = on_progress;
	o.progress_ctx = &pr;
	o.wait = on_wait;
	o.wait_ctx = ctx;
	o.cancel = &pull_cancel;
	for (int i = 0; i < gr->nparts && !rc; i++) {
		struct part *p = &gr->parts[i];
		struct pull_file f;
		if (p->ahead >= 0) {
			struct hub_resolved res;
			if ((rc = hub_prefetch_get(j->ahead, (size_t)p->ahead, &res, err)))
				break;
			part_resolved(p, &res);
		}
		memset(&f, 0, sizeof(f));
		f.url = p->url;
		f.start_url = p->start_url;
		f.dest = p->dest;
		f.size = p->file->size;
		f.sha256 = p->sha[0] ? p->sha : NULL;
		f.git_sha1 = p->git_sha1[0] ? p->git_sha1 : NULL;
		f.repo = j->req.repo;
		f.trusted = row && row->sha256 && (i > 0 || (f.sha256 && !strcmp(row->sha256, f.sha256)));
		f.candidates = cands;
		pr.part = i + 1;
		rc = pull_fetch(j->hub->http, &f, &o, &p->res, err);
		pr.before += p->file->size;
	}
	ui_progress_done(ctx);
	free(cands);
	if (rc && pull_cancel)
		return lm_err_set(err, LM_EFAIL,
				  "interrupted; run the same command again to resume");
	if (rc == LM_ERESOURCE)
		partial_kept(gr, err);
	return rc;
}

/* How long the record step waits for a database another process holds:
 * the download is done, so it is worth waiting for. Tests shorten it with
 * LOCALMODEL_TEST_RECORD_BUSY_MS. */
#define RECORD_BUSY_MS 60000

static int record_busy_ms(void)
{
	const char *v = getenv("LOCALMODEL_TEST_RECORD_BUSY_MS");
	long ms;

	if (v && lm_parse_long(v, 0, 3600000, &ms) == 0)
		return (int)ms;
	return RECORD_BUSY_MS;
}

/* The files are in place but the row could not be written (a database
 * locked past the wait, a full disk): say what is kept and how to finish. */
static int record_failed(const struct grp *gr, int rc, struct lm_err *err)
{
	char why[sizeof(err->msg)];

	lm_strlcpy(why, err->msg, sizeof(why));
	return lm_err_set(err, rc, "%s; '%s' is complete: run the same pull again to record it",
			  why, gr->parts[0].dest);
}

/* The row that already holds this file under another name (another
 * spelling of the quant, --file), when this name has no row of its own:
 * the name becomes its alias, so that one file never has two rows. */
static const char *file_owner(const struct job *j, const struct grp *gr)
{
	const char *owner = NULL;

	for (size_t i = 0; i < j->nowned; i++) {
		const struct lm_model *m = &j->owned[i];
		if (!strcmp(m->model, gr->name) && !m->alias_of)
			return NULL;
		if (!owner && !m->alias_of && cleanup_same_file(m->file_path, gr->parts[0].dest))
			owner = m->model;
	}
	return owner;
}

/* Record the model in the inventory, with what its GGUF header says. */
static int record_locked(struct lm_ctx *ctx, struct job *j, struct grp *gr, struct lm_err *err)
{
	struct lm_model m;
	struct lm_gguf g;
	struct lm_err gerr;
	char now[32];
	int rc;

	store_set_busy_timeout(ctx->store, record_busy_ms());
	if ((gr->alias_of = file_owner(j, gr))) {
		rc = store_alias_add(ctx->store, gr->name, gr->alias_of, err);
		return rc ? record_failed(gr, rc, err) : LM_OK;
	}
	memset(&m, 0, sizeof(m));
	memset(&g, 0, sizeof(g));
	lm_time_iso(lm_now(), now, sizeof(now));
	m.model = gr->name;
	m.file_path = gr->parts[0].dest;
	m.repo_source = j->req.repo;
	m.size_bytes = (int64_t)gr->g->size;
	m.quantization = gr->quant;
	m.sha256 = gr->parts[0].res.sha256[0] ? gr->parts[0].res.sha256 : NULL;
	m.first_seen = now;
	for (size_t i = 0; i < j->nowned; i++)
		if (!strcmp(j->owned[i].model, gr->name))
			m.first_seen = NULL; /* a re-pull keeps the first date */
	m.commit_sha = strcmp(j->commit, "main") ? (char *)j->commit : NULL;
	m.source = "localmodel";
	m.parts = gr->nparts;
	if (gguf_read_model(gr->parts[0].dest, &g, &gerr) == LM_OK) {
		m.arch = g.arch;
		m.params = (int64_t)g.params;
		m.ctx_train = g.ctx_train;
	}
	rc = store_model_upsert(ctx->store, &m, err);
	gguf_release(&g);
	return rc ? record_failed(gr, rc, err) : LM_OK;
}

/* 1 when every part of gr is at its final path with its size. */
static int parts_in_place(const struct grp *gr)
{
	struct stat st;

	for (int i = 0; i < gr->nparts; i++)
		if (stat(gr->parts[i].dest, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size != gr->parts[i].file->size)
			return 0;
	return 1;
}

/* Record gr under the models folder's deletion lock, its files checked
 * first: a 'models rm' or cleanup of the same model that ran while the
 * download finished would otherwise leave a row without its file, or drop
 * the row just written and keep the new file without one. */
static int record(struct lm_ctx *ctx, struct job *j, struct grp *gr, struct lm_err *err)
{
	int fd = cleanup_lock(ctx->paths.models_dir), rc;

	if (parts_in_place(gr))
		rc = record_locked(ctx, j, gr, err);
	else
		rc = lm_err_set(err, LM_ESTATE, "'%s' was removed while this pull finished; run the"
			       " same pull again", gr->parts[0].dest);
	cleanup_unlock(fd);
	return rc;
}

/* The JSON object of one group (the whole document of a one-group pull). */
static cJSON *group_json(const struct job *j, const struct grp *gr)
{
	cJSON *doc = cJSON_CreateObject(), *files;

	cJSON_AddStringToObject(doc, "model", gr->name);
	cJSON_AddStringToObject(doc, "repo", j->req.repo);
	cJSON_AddStringToObject(doc, "quant", gr->quant);
	cJSON_AddStringToObject(doc, "commit", j->commit);
	cJSON_AddStringToObject(doc, "path", gr->parts[0].dest);
	cJSON_AddNumberToObject(doc, "size_bytes", (double)gr->g->size);
	cJSON_AddNumberToObject(doc, "parts", gr->nparts);
	if (gr->alias_of)
		cJSON_AddStringToObject(doc, "alias_of", gr->alias_of);
	else
		cJSON_AddNullToObject(doc, "alias_of");
	files = cJSON_AddArrayToObject(doc, "files");
	for (int i = 0; i < gr->nparts; i++) {
		const struct part *p = &gr->parts[i];
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "path", p->file->path);
		cJSON_AddStringToObject(f, "dest", p->dest);
		cJSON_AddNumberToObject(f, "size_bytes", (double)p->file->size);
		cJSON_AddStringToObject(f, "sha256", p->res.sha256);
		cJSON_AddStringToObject(f, "status", pull_how_name(p->res.how));
		if (p->res.source) {
			cJSON_AddStringToObject(f, "from_store", p->res.source);
			cJSON_AddStringToObject(f, "from", p->res.from);
		}
		cJSON_AddItemToArray(files, f);
	}
	return doc;
}

/* --json: one group's object as it is; several as {"models": [...]}, the
 * groups that were downloaded and recorded (the others failed on stderr). */
static void print_json(const struct job *j)
{
	cJSON *doc, *models;

	if (j->nsel == 1) {
		if (j->sel[0].done)
			ui_json_print(group_json(j, &j->sel[0]));
		return;
	}
	doc = cJSON_CreateObject();
	models = cJSON_AddArrayToObject(doc, "models");
	for (int k = 0; k < j->nsel; k++)
		if (j->sel[k].done)
			cJSON_AddItemToArray(models, group_json(j, &j->sel[k]));
	ui_json_print(doc);
}

/* The text block of one group, printed once it is recorded. */
static void print_group(struct lm_ctx *ctx, const struct grp *gr)
{
	char size[32];

	if (ctx->json || ctx->quiet)
		return;
	lm_format_size(gr->g->size, size, sizeof(size));
	for (int i = 0; i < gr->nparts; i++) {
		const struct part *p = &gr->parts[i];
		if (p->res.how == PULL_LINKED || p->res.how == PULL_COPIED)
			printf("%s %s from %s ('%s')\n",
			       p->res.how == PULL_LINKED ? "linked" : "copied", p->file->path,
			       p->res.source, p->res.from);
		else
			printf("%s %s\n", p->res.how == PULL_PRESENT ? "already present" : "downloaded",
			       p->file->path);
	}
	printf("%s: %s%s%s (%s%s)\n", gr->name, ui_bold(ctx), gr->parts[0].dest, ui_reset(ctx),
	       size, gr->nparts > 1 ? ", split" : "");
	if (gr->alias_of)
		printf("%s is another name of %s (the same file)\n", gr->name, gr->alias_of);
	fflush(stdout);
}

/* Download and record each group in turn. A failure is reported (naming
 * the file when there are several) and the next group goes on, except
 * after Ctrl-C or a full disk; the first failure's code is returned. */
static int fetch_and_record(struct lm_ctx *ctx, struct job *j)
{
	int first = LM_OK;

	for (int k = 0; k < j->nsel; k++) {
		struct grp *gr = &j->sel[k];
		struct lm_err err = { 0 };
		int rc = fetch_group(ctx, j, k, &err);
		if (!rc)
			rc = record(ctx, j, gr, &err);
		if (!rc) {
			gr->done = 1;
			print_group(ctx, gr);
			continue;
		}
		if (j->nsel > 1)
			lm_err_prefix(&err, "%s", gr->g->parts[0]->path);
		rc = ui_fail(ctx, &err);
		if (!first)
			first = rc;
		if (pull_cancel || rc == LM_ERESOURCE)
			break;
	}
	return first;
}

static int pull_run(struct lm_ctx *ctx, struct lm_args *args)
{
	struct lm_err err = { 0 };
	struct job j;
	int rc;

	memset(&j, 0, sizeof(j));
	j.req.connections = ctx->cfg.connections;
	if ((rc = args_want_pos(args, 1, 1, &err)) || (rc = parse_spec(args->pos[0], &j.req, &err)) ||
	    (rc = args_get_long(args, "connections", 1, 64, &j.req.connections, &err)))
		return ui_fail(ctx, &err);
	j.req.files = args_get_all(args, "file", &j.req.nfiles);
	if ((rc = plan(ctx, &j, &err)))
		goto out;
	if ((rc = pull_check_space(ctx->paths.models_dir, bytes_needed(&j), &err)))
		goto out;
	load_owned(ctx, &j);
	/* from here on Ctrl-C keeps what arrived; before, it just stops */
	catch_signals();
	rc = fetch_and_record(ctx, &j);
	if (ctx->json)
		print_json(&j);
	job_release(&j);
	return rc;
out:
	ui_fail(ctx, &err);
	job_release(&j);
	return rc;
}

const struct lm_cmd cmd_pull = {
	.name = "pull",
	.alias = "download",
	.summary = "download a GGUF model from Hugging Face",
	.usage = "localmodel pull ORG/REPO[:QUANT] [--file PATH]... [--connections N] [--json]",
	.description = "Without QUANT, the best quant that fits this machine (Q4_K_M preferred).\n"
		       "A split model is downloaded whole; an interrupted pull resumes.\n"
		       "Several --file (and QUANT with --file) download several models in one pull,\n"
		       "each recorded as its own model.",
	.opts = opts,
	.needs = NEED_STORE,
	.run = pull_run,
};
