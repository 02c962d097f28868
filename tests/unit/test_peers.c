/* Unit tests of the peers layer (parsing, the verdict, order and route)
 * and of what the supervisor knows of RPC workers (start-up lines, the
 * address policy, the pty). */
#include "t.h"
#include "localmodel/peers.h"
#include "localmodel/supervise.h"

static void test_parse(void)
{
	struct lm_peer p, *list = NULL;
	struct lm_err err = { 0 };
	size_t n = 0;

	CHECK_INT(peers_parse_one("http://mini.lan:8080/v1/", &p, &err), LM_OK);
	CHECK_STR(p.base, "http://mini.lan:8080");
	CHECK_STR(p.name, "mini.lan:8080");
	CHECK_STR(p.key_file, "");
	CHECK_INT(peers_parse_one("hub=https://hub.example/v1 key_file=/k/hub.key", &p, &err), LM_OK);
	CHECK_STR(p.name, "hub");
	CHECK_STR(p.base, "https://hub.example");
	CHECK_STR(p.key_file, "/k/hub.key");
	CHECK_INT(peers_parse_one("key_file=/k  mbp=http://[fd7a::1]:8080", &p, &err), LM_OK);
	CHECK_STR(p.name, "mbp");
	CHECK_STR(p.base, "http://[fd7a::1]:8080");
	setenv("HOME", "/home/u", 1);
	CHECK_INT(peers_parse_one("http://h:1 key_file=~/k/hub.key", &p, &err), LM_OK);
	CHECK_STR(p.key_file, "/home/u/k/hub.key");
	CHECK_INT(peers_parse_one("ftp://x", &p, &err), LM_EUSAGE);
	CHECK_INT(peers_parse_one("http://", &p, &err), LM_EUSAGE);
	CHECK_INT(peers_parse_one("http:///v1", &p, &err), LM_EUSAGE);
	CHECK_INT(peers_parse_one("a=http://h:1 b=http://h:2", &p, &err), LM_EUSAGE);
	CHECK_INT(peers_parse_one("=http://h:1", &p, &err), LM_EUSAGE);
	CHECK_INT(peers_parse_one("http://h key_file=", &p, &err), LM_EUSAGE);
	CHECK_INT(peers_parse_one("", &p, &err), LM_EUSAGE);

	CHECK_INT(peers_parse_list(" a=http://a:1 , , b=http://b:2 key_file=/kb,", &list, &n, &err),
		  LM_OK);
	CHECK_INT(n, 2);
	CHECK_STR(list[0].name, "a");
	CHECK_INT(list[0].preference, 0);
	CHECK_STR(list[1].name, "b");
	CHECK_INT(list[1].preference, 1);
	CHECK_STR(list[1].key_file, "/kb");
	CHECK_INT(peers_parse_list("c=http://c:3", &list, &n, &err), LM_OK);
	CHECK_INT(n, 3);
	CHECK_INT(list[2].preference, 2);
	CHECK_INT(peers_parse_list("http://ok:1, nope", &list, &n, &err), LM_EUSAGE);
	CHECK(strstr(err.msg, "nope") != NULL);
	free(list);
}

/* answers for one peer: status and body of each request */
static void answer(struct lm_peer_answer *a, long st, const char *body)
{
	memset(a, 0, sizeof(*a));
	a->status = st;
	a->body = (char *)body;
}

static void test_judge(void)
{
	struct lm_peer_answer a[PEER_NREQ];
	struct lm_peer_report r;
	static const char models[] = "{\"data\":[{\"id\":\"org/a:Q4\",\"aliases\":[\"org/a:Q4\",\"a\"]}]}";
	static const char router[] = "{\"data\":[{\"id\":\"org/b:Q8\",\"aliases\":[],"
				     "\"status\":{\"value\":\"loaded\"}},{\"id\":\"c\",\"status\":{\"value\":\"unloaded\"}}]}";

	memset(&r, 0, sizeof(r));
	answer(&a[PEER_HEALTH], 0, NULL);
	snprintf(a[PEER_HEALTH].error, sizeof(a[0].error), "Couldn't connect to server");
	answer(&a[PEER_MODELS], 0, NULL);
	answer(&a[PEER_PROPS], 0, NULL);
	answer(&a[PEER_SLOTS], 0, NULL);
	peers_judge(a, 0, &r);
	CHECK(!r.healthy);
	CHECK_STR(r.state, "unreachable");
	CHECK(strstr(r.reason, "Couldn't connect") != NULL);

	answer(&a[PEER_HEALTH], 503, "{\"error\":{\"code\":503,\"message\":\"Loading model\"}}");
	peers_judge(a, 0, &r);
	CHECK_STR(r.state, "loading");
	CHECK(strstr(r.reason, "Loading model") != NULL);

	answer(&a[PEER_HEALTH], 200, "{\"status\":\"ok\"}");
	answer(&a[PEER_MODELS], 401, "{\"error\":{\"message\":\"Invalid API Key\"}}");
	peers_judge(a, 1, &r);
	CHECK(!r.healthy);
	CHECK_STR(r.state, "unauthorized");
	CHECK(strstr(r.reason, "refused") != NULL);
	peers_judge(a, 0, &r);
	CHECK(strstr(r.reason, "key_file") != NULL);

	answer(&a[PEER_HEALTH], 404, "");
	peers_judge(a, 0, &r);
	CHECK_STR(r.state, "error");

	answer(&a[PEER_HEALTH], 200, "{\"status\":\"ok\"}");
	answer(&a[PEER_MODELS], 200, models);
	answer(&a[PEER_PROPS], 200, "{\"is_sleeping\":true}");
	answer(&a[PEER_SLOTS], 503, "{\"error\":{\"message\":\"no slot available\"}}");
	peers_judge(a, 0, &r);
	CHECK(r.healthy);
	CHECK_STR(r.state, "sleeping");
	CHECK_INT(r.free_slot, 0);
	CHECK_INT(r.nmodels, 1);
	CHECK_INT(r.models[0].naliases, 1); /* the id itself is not repeated */
	CHECK(peers_serves(&r, "a") && peers_serves(&r, "org/a:Q4") && !peers_serves(&r, "org/a"));
	peers_report_release(&r);

	answer(&a[PEER_PROPS], 200, "{\"role\":\"router\"}");
	answer(&a[PEER_SLOTS], 400, "{}");
	answer(&a[PEER_MODELS], 200, router);
	peers_judge(a, 0, &r);
	CHECK(r.healthy && r.router);
	CHECK_STR(r.state, "ok");
	CHECK_INT(r.free_slot, -1);
	CHECK_INT(r.nmodels, 2);
	CHECK_STR(r.models[0].state, "loaded");
	CHECK_STR(r.models[1].state, "unloaded");
	peers_report_release(&r);

	answer(&a[PEER_PROPS], 404, NULL);
	answer(&a[PEER_SLOTS], 501, "{}"); /* --no-slots */
	answer(&a[PEER_MODELS], 200, models);
	peers_judge(a, 0, &r);
	CHECK(r.healthy);
	CHECK_INT(r.free_slot, -1);
	CHECK_INT(r.sleeping, -1);
	peers_report_release(&r);
}

static void test_order_route(void)
{
	struct lm_peer_report r[4];
	struct lm_peer_model ma = { .id = "a" }, mb = { .id = "b" };

	memset(r, 0, sizeof(r));
	for (int i = 0; i < 4; i++) {
		r[i].peer.preference = i;
		snprintf(r[i].peer.name, sizeof(r[i].peer.name), "p%d", i);
	}
	r[0].healthy = 0, r[0].models = &ma, r[0].nmodels = 1;
	r[1].healthy = 1, r[1].models = &mb, r[1].nmodels = 1;
	r[2].healthy = 0;
	r[3].healthy = 1, r[3].models = &ma, r[3].nmodels = 1;
	peers_order(r, 4);
	CHECK_STR(r[0].peer.name, "p1");
	CHECK_STR(r[1].peer.name, "p3");
	CHECK_STR(r[2].peer.name, "p0");
	CHECK_STR(r[3].peer.name, "p2");
	CHECK_STR(peers_route(r, 4, "a")->peer.name, "p3"); /* p0 has it, but is down */
	CHECK_STR(peers_route(r, 4, "b")->peer.name, "p1");
	CHECK_STR(peers_route(r, 4, NULL)->peer.name, "p1");
	CHECK(peers_route(r, 4, "c") == NULL);
	CHECK(peers_route(r, 0, NULL) == NULL);
}

static void test_rpc_lines(void)
{
	struct sup_state st;
	char name[64], desc[256];
	uint64_t t = 0, f = 0;

	memset(&st, 0, sizeof(st));
	CHECK_INT(sup_rpc_line(&st, "Starting RPC server v5.1.0"), 0);
	CHECK_STR(st.rpc_version, "5.1.0");
	CHECK_INT(sup_rpc_line(&st, "  endpoint       : 127.0.0.1:50052"), 0);
	CHECK_INT(sup_rpc_line(&st, "  local cache    : n/a"), 0);
	CHECK_INT(sup_rpc_line(&st, "Devices:"), 0);
	CHECK_INT(sup_rpc_line(&st, "  Metal: Apple M4 Pro (49152 MiB, 40000 MiB free)"), 0);
	CHECK_INT(sup_rpc_line(&st, "  CPU: Apple M4 Pro (x) (49152 MiB, 1024 MiB free)"), 0);
	CHECK_STR(st.devices, "Metal: Apple M4 Pro (49152 MiB, 40000 MiB free); "
			      "CPU: Apple M4 Pro (x) (49152 MiB, 1024 MiB free)");
	CHECK(sup_rpc_free_bytes(st.devices) == (40000ull + 1024) << 20);
	CHECK_INT(sup_rpc_line(&st, "  transport      : TCP (RDMA auto-negotiate enabled)"), 1);
	CHECK_INT(sup_rpc_line(&st, "Accepted client connection"), 0);
	/* a restart starts the list again */
	CHECK_INT(sup_rpc_line(&st, "Starting RPC server v5.2.0"), 0);
	CHECK_STR(st.devices, "");
	CHECK_STR(st.rpc_version, "5.2.0");

	CHECK_INT(sup_rpc_device("  CPU: AMD EPYC (24105 MiB, 24105 MiB free)", name, sizeof(name),
				 desc, sizeof(desc), &t, &f), 0);
	CHECK_STR(name, "CPU");
	CHECK_STR(desc, "AMD EPYC");
	CHECK(t == 24105 && f == 24105);
	CHECK_INT(sup_rpc_device("  endpoint       : 127.0.0.1:50052", name, sizeof(name), desc,
				 sizeof(desc), &t, &f), -1);
	CHECK_INT(sup_rpc_device("   CPU: x (1 MiB, 1 MiB free)", name, sizeof(name), desc,
				 sizeof(desc), &t, &f), -1);
	CHECK_INT(sup_rpc_device("  CPU: x (1 MiB, lots MiB free)", name, sizeof(name), desc,
				 sizeof(desc), &t, &f), -1);
	CHECK(sup_rpc_free_bytes("") == 0);
}

static void test_rpc_addr(void)
{
	static const char *const loop[] = { "127.0.0.1", "127.1.2.3", "::1", "localhost", NULL };
	static const char *const priv[] = { "10.0.0.5", "172.16.0.1", "172.31.255.255",
					    "192.168.1.20", "100.64.0.1", "100.127.255.254",
					    "fd7a:115c:a1e0::1", "fc00::1", NULL };
	static const char *const refused[] = { "0.0.0.0", "::", "8.8.8.8", "172.32.0.1",
					       "100.128.0.1", "169.254.1.1", "fe80::1",
					       "2001:db8::1", "mini.lan", "", NULL };
	enum sup_rpc_addr k;
	struct lm_err err = { 0 };

	for (int i = 0; loop[i]; i++) {
		CHECK_INT(sup_rpc_addr_check(loop[i], &k, &err), LM_OK);
		CHECK_INT(k, SUP_RPC_LOOPBACK);
	}
	for (int i = 0; priv[i]; i++) {
		CHECK_INT(sup_rpc_addr_check(priv[i], &k, &err), LM_OK);
		CHECK_INT(k, SUP_RPC_PRIVATE);
	}
	for (int i = 0; refused[i]; i++)
		CHECK_INT(sup_rpc_addr_check(refused[i], &k, &err), LM_EUSAGE);
	sup_rpc_addr_check("0.0.0.0", &k, &err);
	CHECK(strstr(err.msg, "every address") != NULL);
}

static void test_pty(void)
{
	int m = -1, s = -1;
	char buf[64];
	ssize_t n;

	CHECK_INT(sup_pty_open(&m, &s), 0);
	CHECK(isatty(s));
	CHECK(write(s, "a\nb\n", 4) == 4);
	n = read(m, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "a\nb\n"); /* no \r added */
	close(s);
	close(m);
}

int main(void)
{
	test_parse();
	test_judge();
	test_order_route();
	test_rpc_lines();
	test_rpc_addr();
	test_pty();
	return T_DONE();
}
