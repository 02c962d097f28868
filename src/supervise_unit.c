/* supervise_unit: systemd user units and launchd plists for `serve --foreground`. */
#include "localmodel/supervise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = lm_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* One systemd word: quoted when needed; % and $ escaped (specifiers and
 * variable expansion). */
static void sd_word(struct sbuf *b, const char *w, int dollar)
{
	int quote = !*w || strpbrk(w, " \t\"'\\;") != NULL;

	if (quote)
		sb_puts(b, "\"");
	for (const char *p = w; *p; p++) {
		if (*p == '%')
			sb_puts(b, "%%");
		else if (*p == '$' && dollar)
			sb_puts(b, "$$");
		else if (*p == '"' || *p == '\\') {
			sb_add(b, "\\", 1);
			sb_add(b, p, 1);
		} else
			sb_add(b, p, 1);
	}
	if (quote)
		sb_puts(b, "\"");
}

char *sup_unit_systemd(const char *description, char *const *argv, char *const *env)
{
	struct sbuf b = { 0 };

	sb_puts(&b, "[Unit]\nDescription=");
	sb_puts(&b, description);
	sb_puts(&b, "\nAfter=network-online.target\n\n[Service]\nType=simple\n");
	for (int i = 0; env && env[i]; i++) {
		sb_puts(&b, "Environment=");
		sd_word(&b, env[i], 0);
		sb_puts(&b, "\n");
	}
	sb_puts(&b, "ExecStart=");
	for (int i = 0; argv[i]; i++) {
		if (i)
			sb_puts(&b, " ");
		sd_word(&b, argv[i], 1);
	}
	sb_puts(&b, "\nRestart=on-failure\nRestartSec=5\nTimeoutStopSec=30\n\n"
		    "[Install]\nWantedBy=default.target\n");
	return b.s;
}

/* XML text with &, <, >, " escaped. */
static void xml_text(struct sbuf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '&': sb_puts(b, "&amp;"); break;
		case '<': sb_puts(b, "&lt;"); break;
		case '>': sb_puts(b, "&gt;"); break;
		case '"': sb_puts(b, "&quot;"); break;
		default: sb_add(b, p, 1);
		}
	}
}

static void plist_string(struct sbuf *b, const char *indent, const char *s)
{
	sb_puts(b, indent);
	sb_puts(b, "<string>");
	xml_text(b, s);
	sb_puts(b, "</string>\n");
}

char *sup_unit_launchd(const char *label, char *const *argv, char *const *env,
		       const char *log_path)
{
	struct sbuf b = { 0 };

	sb_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
		    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
		    "<plist version=\"1.0\">\n<dict>\n\t<key>Label</key>\n");
	plist_string(&b, "\t", label);
	sb_puts(&b, "\t<key>ProgramArguments</key>\n\t<array>\n");
	for (int i = 0; argv[i]; i++)
		plist_string(&b, "\t\t", argv[i]);
	sb_puts(&b, "\t</array>\n");
	if (env && env[0]) {
		sb_puts(&b, "\t<key>EnvironmentVariables</key>\n\t<dict>\n");
		for (int i = 0; env[i]; i++) {
			const char *eq = strchr(env[i], '=');
			char *name = lm_xstrndup(env[i], eq ? (size_t)(eq - env[i]) : strlen(env[i]));
			sb_puts(&b, "\t\t<key>");
			xml_text(&b, name);
			sb_puts(&b, "</key>\n");
			plist_string(&b, "\t\t", eq ? eq + 1 : "");
			free(name);
		}
		sb_puts(&b, "\t</dict>\n");
	}
	sb_puts(&b, "\t<key>RunAtLoad</key>\n\t<true/>\n\t<key>KeepAlive</key>\n\t<dict>\n"
		    "\t\t<key>SuccessfulExit</key>\n\t\t<false/>\n\t</dict>\n");
	if (log_path) {
		sb_puts(&b, "\t<key>StandardOutPath</key>\n");
		plist_string(&b, "\t", log_path);
		sb_puts(&b, "\t<key>StandardErrorPath</key>\n");
		plist_string(&b, "\t", log_path);
	}
	sb_puts(&b, "</dict>\n</plist>\n");
	return b.s;
}
