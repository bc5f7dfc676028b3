/*
 * struct xkpi_config and its `size` (xkpi.h): the library reads only the
 * fields that lie wholly within the caller's size, a size of 0 stands for
 * the fields up to mbuf_limit_bytes, a zeroed structure is the default,
 * and bytes past the library's structure must be zero (E2BIG).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <string.h>

#include <xkpi.h>

#include "core/socket_var.h"
#include "tests/lib/xk_test.h"

/* Whether xkpi_stats() shows interface @ifname (attached from ifaces). */
static bool
has_if(const char *ifname)
{
	char name[64];

	snprintf(name, sizeof(name), "if.%s.ipackets", ifname);
	return xk_test_stat_find(name, NULL);
}

/* Restarts the library with @cfg; the teardown restarts it afresh. */
static errno_t
init_with(const void *cfg)
{
	xk_test_restart_after();
	xkpi_shutdown();
	return xkpi_init(cfg);
}

/*
 * The fields the caller's size does not cover are not read: here they
 * hold values that would fail (an unknown log level and upcall mode, an
 * interface list), and initialisation succeeds with the defaults.
 */
static void
test_smaller_size_reads_only_that_far(void **state)
{
	struct xkpi_config cfg = {
		.size = offsetof(struct xkpi_config, ifaces),
		.backend = "mem",
		.ifaces = "cf0",
		.log_level = 42,
		.upcall_mode = (enum xkpi_upcall_mode)7,
	};

	(void)state;
	assert_int_equal(init_with(&cfg), 0);
	assert_false(has_if("cf0"));
	assert_int_equal(xk_lib_upcall_mode(), XKPI_UPCALL_X86_64);

	/* A field cut by the size is not read either. */
	cfg.size = offsetof(struct xkpi_config, ifaces) + 1;
	assert_int_equal(init_with(&cfg), 0);
	assert_false(has_if("cf0"));

	/* One field further: the list is read, the bad level not yet. */
	cfg.size = offsetof(struct xkpi_config, log_level);
	assert_int_equal(init_with(&cfg), 0);
	assert_true(has_if("cf0"));

	/* The bad level read: EINVAL, as without a size. */
	cfg.size = offsetof(struct xkpi_config, upcall_mode);
	assert_int_equal(init_with(&cfg), EINVAL);
	cfg.log_level = XKPI_LOG_DEFAULT;
	assert_int_equal(init_with(&cfg), 0);
	cfg.size = offsetof(struct xkpi_config, mbuf_limit_bytes);
	assert_int_equal(init_with(&cfg), EINVAL);
	cfg.upcall_mode = XKPI_UPCALL_ARM64;
	assert_int_equal(init_with(&cfg), 0);
	assert_int_equal(xk_lib_upcall_mode(), XKPI_UPCALL_ARM64);

	/* Only the size itself: everything else from the environment. */
	cfg.size = sizeof(size_t);
	assert_int_equal(init_with(&cfg), 0);
	assert_false(has_if("cf0"));
	assert_int_equal(xk_lib_upcall_mode(), XKPI_UPCALL_X86_64);
}

/* A zeroed structure is the default; size 0 reads this version's fields. */
static void
test_size_zero(void **state)
{
	struct xkpi_config zero;
	struct xkpi_config cfg = { .ifaces = "cf1",
	    .upcall_mode = XKPI_UPCALL_ARM64 };

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(init_with(&zero), 0);
	assert_int_equal(xk_lib_upcall_mode(), XKPI_UPCALL_X86_64);
	assert_int_equal(init_with(&cfg), 0);
	assert_true(has_if("cf1"));
	assert_int_equal(xk_lib_upcall_mode(), XKPI_UPCALL_ARM64);
}

static void
test_config_init_macro(void **state)
{
	struct xkpi_config d = XKPI_CONFIG_INIT();
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.ifaces = "cf2",
	    .upcall_mode = XKPI_UPCALL_ARM64);

	(void)state;
	assert_int_equal(d.size, sizeof(struct xkpi_config));
	assert_null(d.backend);
	assert_null(d.ifaces);
	assert_int_equal(d.log_level, 0);
	assert_int_equal(cfg.size, sizeof(struct xkpi_config));
	assert_int_equal(init_with(&d), 0);
	assert_false(has_if("cf2"));
	assert_int_equal(init_with(&cfg), 0);
	assert_true(has_if("cf2"));
	assert_int_equal(xk_lib_upcall_mode(), XKPI_UPCALL_ARM64);
}

/* A size that does not even hold the size field is EINVAL. */
static void
test_size_too_small_einval(void **state)
{
	struct xkpi_config cfg = XKPI_CONFIG_INIT(.backend = "mem");

	(void)state;
	for (size_t n = 1; n < sizeof(size_t); n++) {
		cfg.size = n;
		assert_int_equal(init_with(&cfg), EINVAL);
	}
}

/*
 * A program built against a newer header: its larger structure is taken
 * when the fields this library does not know are 0, else E2BIG.
 */
static void
test_larger_size(void **state)
{
	struct {
		struct xkpi_config	 c;
		uint64_t		 newer[3];
	} big;

	(void)state;
	memset(&big, 0, sizeof(big));
	big.c.size = sizeof(big);
	big.c.ifaces = "cf3";
	assert_int_equal(init_with(&big), 0);
	assert_true(has_if("cf3"));
	big.newer[2] = 1;
	assert_int_equal(init_with(&big), E2BIG);
	big.newer[2] = 0;
	big.newer[0] = 1ull << 40;
	assert_int_equal(init_with(&big), E2BIG);
	big.newer[0] = 0;
	assert_int_equal(init_with(&big), 0);
}

/* The same rules hold for xkpi_init_with_base(). */
static void
test_with_base_reads_by_size(void **state)
{
	struct xkpi_config cfg = {
		.size = offsetof(struct xkpi_config, log_level),
		.ifaces = "cf4",
		.log_level = 42,
	};
	struct event_base *base;

	(void)state;
	xk_test_restart_after();
	xkpi_shutdown();
	assert_int_equal(evthread_use_pthreads(), 0);
	assert_non_null(base = event_base_new());
	assert_int_equal(xkpi_init_with_base(base, &cfg), 0);
	assert_true(has_if("cf4"));
	xkpi_shutdown();
	cfg.size = offsetof(struct xkpi_config, upcall_mode);
	assert_int_equal(xkpi_init_with_base(base, &cfg), EINVAL);
	cfg.size = 2;
	assert_int_equal(xkpi_init_with_base(base, &cfg), EINVAL);
	event_base_free(base);
	assert_int_equal(xkpi_init(NULL), 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, xk_test_sock_setup, \
	    xk_test_sock_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_smaller_size_reads_only_that_far),
		T(test_size_zero),
		T(test_config_init_macro),
		T(test_size_too_small_einval),
		T(test_larger_size),
		T(test_with_base_reads_by_size),
	};

	return cmocka_run_group_tests_name("config", tests, NULL,
	    xk_test_sock_group_teardown);
}
