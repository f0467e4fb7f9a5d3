//! Probe of burn-collective 0.21's all-reduce across processes (the engine issue 27 names for
//! training across machines), outside the workspace. To run it, make a crate with this file as
//! src/main.rs and these dependencies:
//!
//!     burn-collective = { version = "=0.21.0", features = ["orchestrator"] }
//!     burn = { version = "=0.21.0", default-features = false, features = ["std", "ndarray"] }
//!     tokio = { version = "1", features = ["rt-multi-thread"] }
//!
//! then `P=48300 ./coll 0 & P=48300 ./coll 1` (rank 0 also starts the global orchestrator).
//! Result on 2026-12-07 (loopback, one machine): iteration 0 prints [3, 3, 3, 3] on both ranks;
//! iteration 1 never returns (both ranks wait in the data service's tensor download), with the
//! global strategy Ring (the default), Centralized or Tree(2). Making the data service register
//! its wake-up before reading the exposed tensors (a lost-wakeup suspect) did not change it.

use burn::backend::NdArray;
use burn::tensor::{Tensor, TensorPrimitive};
use burn_collective::*;
type B = NdArray<f32>;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let rank: u32 = a[1].parse().unwrap();
    let world: u32 = 2;
    let port: u16 = std::env::var("P").unwrap().parse().unwrap();
    if rank == 0 {
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(start_global_orchestrator(port));
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let data_port = port + 10 + rank as u16;
    let config = CollectiveConfig::default()
        .with_num_devices(1)
        .with_num_nodes(world)
        .with_global_address(format!("ws://127.0.0.1:{port}").parse().unwrap())
        .with_node_address(format!("ws://127.0.0.1:{data_port}").parse().unwrap())
        .with_data_service_port(data_port).with_global_all_reduce_strategy(AllReduceStrategy::Centralized);
    let device = Default::default();
    register::<B>(PeerId::from(rank), device, config).unwrap();
    for i in 0..3 {
        let t = Tensor::<B, 1>::from_floats([rank as f32 + 1.0 + i as f32; 4], &device);
        let r = all_reduce::<B>(PeerId::from(rank), t.into_primitive().tensor(), ReduceOperation::Sum).unwrap();
        let r = Tensor::<B, 1>::from_primitive(TensorPrimitive::Float(r));
        println!("rank {rank} iter {i}: {:?}", r.into_data().to_vec::<f32>().unwrap());
    }
    finish_collective::<B>(PeerId::from(rank)).unwrap();
    println!("rank {rank} done");
}
