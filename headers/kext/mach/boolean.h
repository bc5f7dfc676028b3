/*
 * xkpi: the XNU kernel programming interfaces in userspace.
 * SPDX-License-Identifier: BSD-2-Clause
 */
/*!
 * @header kext/mach/boolean.h
 * @abstract Mach's boolean type, as the kernel declares it.
 */
#ifndef _XKPI_KEXT_MACH_BOOLEAN_H_
#define _XKPI_KEXT_MACH_BOOLEAN_H_

#include <xkpi_kext.h>

#ifndef __XKPI_BOOLEAN_T
/*! @abstract Defined once boolean_t is (here or in sys/kpi_mbuf.h). */
#define	__XKPI_BOOLEAN_T
/*! @abstract A truth value: TRUE or FALSE (an int, as in the kernel). */
typedef int	boolean_t;
#endif

#ifndef TRUE
/*! @abstract True. */
#define	TRUE	1
#endif
#ifndef FALSE
/*! @abstract False. */
#define	FALSE	0
#endif

#endif /* _XKPI_KEXT_MACH_BOOLEAN_H_ */
