//! One-thread GEMM throughput of the `gemm` crate and of the system OpenBLAS on dcgan28's shapes.
//! Buffers are allocated once, so page faults do not count (burn-flex allocates each product's
//! output, which the `burn-gan` binary's allocator settings keep off fresh pages).
use std::time::Instant;

#[link(name = "openblas")]
extern "C" {
    #[allow(clippy::too_many_arguments)]
    fn cblas_sgemm(
        order: i32,
        trans_a: i32,
        trans_b: i32,
        m: i32,
        n: i32,
        k: i32,
        alpha: f32,
        a: *const f32,
        lda: i32,
        b: *const f32,
        ldb: i32,
        beta: f32,
        c: *mut f32,
        ldc: i32,
    );
    fn openblas_set_num_threads(n: i32);
}

/// Mean seconds per call of `f` over at least 0.4 s, after three warm-up calls.
fn seconds(mut f: impl FnMut()) -> f64 {
    for _ in 0..3 {
        f();
    }
    let (t, mut n) = (Instant::now(), 0);
    while t.elapsed().as_secs_f64() < 0.4 {
        f();
        n += 1;
    }
    t.elapsed().as_secs_f64() / n as f64
}

fn main() {
    unsafe { openblas_set_num_threads(1) };
    // (m, k, n): a Linear or im2col product over the batch, and one image's transposed
    // convolution columns.
    let shapes = [
        (3136, 128, 1024),
        (3136, 1024, 128),
        (1024, 3136, 128),
        (6272, 100, 64),
        (196, 1024, 64),
        (1024, 128, 49),
        (128, 1024, 49),
    ];
    println!("(m, k, n)            gemm crate            OpenBLAS (cblas_sgemm)");
    for (m, k, n) in shapes {
        let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.1).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.1).collect();
        let mut c = vec![0f32; m * n];
        let flop = 2.0 * (m * k * n) as f64;
        let t_gemm = seconds(|| unsafe {
            gemm::gemm(
                m,
                n,
                k,
                c.as_mut_ptr(),
                1,
                n as isize,
                false,
                a.as_ptr(),
                1,
                k as isize,
                b.as_ptr(),
                1,
                n as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            )
        });
        let t_blas = seconds(|| unsafe {
            cblas_sgemm(
                101, // row major
                111, // no transpose
                111,
                m as i32,
                n as i32,
                k as i32,
                1.0,
                a.as_ptr(),
                k as i32,
                b.as_ptr(),
                n as i32,
                0.0,
                c.as_mut_ptr(),
                n as i32,
            )
        });
        println!(
            "{:<20} {:>7.3} ms {:>6.1} GFLOP/s   {:>7.3} ms {:>6.1} GFLOP/s",
            format!("({m}, {k}, {n})"),
            t_gemm * 1e3,
            flop / t_gemm / 1e9,
            t_blas * 1e3,
            flop / t_blas / 1e9
        );
    }
}
