// C shim for LAPACKE + CBLAS (OpenBLAS). No stable Swift API: use the LinearAlgebra module.
#ifndef CLAPACK_SHIM_H
#define CLAPACK_SHIM_H
#include <stddef.h>
// This LAPACKE version ignores LAPACK_COMPLEX_STRUCTURE; plain structs keep the Swift importer happy.
#define LAPACK_COMPLEX_CUSTOM
typedef struct { float real, imag; } lapack_complex_float;
typedef struct { double real, imag; } lapack_complex_double;
#include <lapacke.h>
#include <cblas.h>
// OpenBLAS extension (declared in its cblas.h on Debian, repeated here for clarity).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_parallel(void);
// blas_thread_shutdown_ (pthreads builds only) is looked up with dlsym by LinearAlgebra, so the
// binary also loads with a sequential or OpenMP libopenblas that lacks it.
// glibc's allocator settings (mallopt), used by LinearAlgebra's ProcessResources.
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#endif
