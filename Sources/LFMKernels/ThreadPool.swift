import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed pool of worker threads for fork/join loops inside one forward pass.
///
/// `parallelFor` publishes a job by bumping a generation counter; workers that are spinning
/// pick it up within microseconds, parked workers are woken by a condition variable. The
/// caller takes part in the work, then waits for every worker to finish, so the loop body
/// may capture non-escaping state and unsafe pointers. Items are handed out by an atomic
/// counter, which balances uneven work. There is no allocation per call.
///
/// One pool is driven by one thread at a time (the engine thread); calls must not nest.
public final class ThreadPool: @unchecked Sendable {
    // Safety: `job`/`jobCount` are written only by the driving thread before the generation
    // counter is released and read by workers only after acquiring it; the driver waits for
    // all workers before touching them again.
    /// Threads taking part in each loop, the caller included.
    public let threadCount: Int
    private let generation = Atomic<Int>(0)
    private let nextIndex = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var job: ((Int, Int) -> Void)?
    private var jobCount = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var workerThreads: [pthread_t] = []
    /// How long an idle worker spins before parking (iterations of an atomic load).
    private let spinLimit: Int

    /// Creates a pool with `threads` participants (the caller plus `threads − 1` workers).
    /// - Parameter threads: default one per online CPU.
    public init(threads: Int = ThreadPool.onlineCPUs, spinLimit: Int = 200_000) {
        threadCount = max(1, threads)
        self.spinLimit = spinLimit
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
        for worker in 1..<threadCount {
            let context = Unmanaged.passRetained(WorkerContext(pool: self, worker: worker)).toOpaque()
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { raw in
                let ctx = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                ctx.pool.workerLoop(ctx.worker)
                return nil
            }, context)
            precondition(rc == 0, "pthread_create failed: \(rc)")
            workerThreads.append(tid)
        }
    }

    /// Number of online CPUs.
    public static var onlineCPUs: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    deinit {
        stopping.store(true, ordering: .sequentiallyConsistent)
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
        for t in workerThreads { pthread_join(t, nil) }
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    /// Runs `body(i, worker)` for every `i` in `0..<count`, each exactly once, spread over the
    /// pool; `worker` in `0..<threadCount` identifies the executing thread (for per-thread scratch).
    public func parallelFor(_ count: Int, _ body: (_ index: Int, _ worker: Int) -> Void) {
        if count <= 0 { return }
        if threadCount == 1 || count == 1 {
            for i in 0..<count { body(i, 0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            jobCount = count
            nextIndex.store(0, ordering: .relaxed)
            finished.store(0, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(cond)
                pthread_mutex_unlock(mutex)
            }
            drain(worker: 0)
            let workers = threadCount - 1
            while finished.load(ordering: .acquiring) < workers { spinPause() }
            job = nil
        }
    }

    private func drain(worker: Int) {
        guard let job else { return }
        let n = jobCount
        while true {
            let i = nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue
            if i >= n { break }
            job(i, worker)
        }
    }

    private func workerLoop(_ worker: Int) {
        // Start from generation 0, not the current value: a worker that starts after the first
        // job was published must still take part in it (the driver waits for every worker).
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                if stopping.load(ordering: .relaxed) { return }
                spins += 1
                if spins < spinLimit {
                    spinPause()
                } else {
                    pthread_mutex_lock(mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen && !stopping.load(ordering: .relaxed) {
                        pthread_cond_wait(cond, mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    spins = 0
                }
            }
            seen = generation.load(ordering: .acquiring)
            drain(worker: worker)
            finished.add(1, ordering: .releasing)
        }
    }

    @inline(__always)
    private func spinPause() {
        #if arch(x86_64) || arch(i386)
        _ = generation.load(ordering: .relaxed)
        #endif
    }
}

private final class WorkerContext {
    let pool: ThreadPool
    let worker: Int
    init(pool: ThreadPool, worker: Int) { self.pool = pool; self.worker = worker }
}
