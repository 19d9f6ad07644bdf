import Foundation

/// The one synchronized hand-over between request threads and the engine thread.
///
/// Request threads ``submit(_:)`` groups of sequences (the `n` choices of one request are
/// admitted or refused as a unit); the engine thread ``take(hasWork:)``s them. The queue
/// also keeps the two live counts that decisions need, under the same lock: requests not
/// yet admitted into a step (bounded by `maxWaiting`: the 429 decision) and requests
/// whose final event has not been delivered (the graceful-drain decision). Statistics
/// published after steps are for metrics only and never read here.
final class AdmissionQueue: @unchecked Sendable {
    // Safety: every stored property below is guarded by `condition`.
    private let condition = NSCondition()
    private var inbox: [ActiveSequence] = []
    private var unadmitted = 0
    private var outstanding = 0
    private var stopping = false
    private var arrivals = 0
    /// The engine thread is waiting in ``take(hasWork:)`` with nothing to do (it publishes
    /// its statistics before it comes back to wait).
    private var parked = false
    /// Most sequences that may wait for admission at once.
    let maxWaiting: Int

    init(maxWaiting: Int) { self.maxWaiting = maxWaiting }

    /// Queues every sequence `make` builds (given each one's arrival order), or none.
    /// - Throws: `SubmitError.shuttingDown`, `.tooManyChoices` when the group can never
    ///   fit the queue, `.queueFull` when it does not fit now (always, with `maxWaiting` 0).
    func submit(count: Int, _ make: (Int) -> ActiveSequence) throws(SubmitError) {
        condition.lock()
        defer { condition.unlock() }
        if stopping { throw .shuttingDown }
        if count > maxWaiting && maxWaiting > 0 { throw .tooManyChoices(count, maxWaiting: maxWaiting) }
        if unadmitted + count > maxWaiting { throw .queueFull(unadmitted) }
        for _ in 0..<count {
            arrivals += 1
            inbox.append(make(arrivals))
        }
        unadmitted += count
        outstanding += count
        condition.broadcast()
    }

    /// Engine thread: waits while there is nothing to do (no new sequence, not stopping,
    /// and `hasWork()` false), then takes the new sequences. `hasWork` is evaluated under the
    /// lock, so a resume or cancel (flag set, then ``wake()``) between the check and the wait
    /// cannot be lost.
    func take(hasWork: () -> Bool) -> (fresh: [ActiveSequence], stopping: Bool) {
        condition.lock()
        defer { condition.unlock() }
        while inbox.isEmpty && !stopping && !hasWork() {
            if !parked {
                parked = true
                condition.broadcast()   // for waitUntilSettled
            }
            condition.wait()
        }
        parked = false
        let fresh = inbox
        inbox.removeAll()
        return (fresh, stopping)
    }

    /// Engine thread: `s` entered its first step (it no longer counts as waiting).
    func admitted() {
        condition.lock()
        unadmitted -= 1
        condition.unlock()
    }

    /// Engine thread: the final event of a sequence was delivered.
    func ended(wasAdmitted: Bool) {
        condition.lock()
        outstanding -= 1
        if !wasAdmitted { unadmitted -= 1 }
        condition.unlock()
    }

    /// Sequences waiting for admission now (queued or not yet scheduled).
    var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return unadmitted
    }

    /// True when every submitted sequence has delivered its final event.
    var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return outstanding == 0
    }

    /// Waits until every submitted sequence has delivered its final event and the engine
    /// thread has come back to wait with nothing to do, so the statistics it published
    /// last are those of the settled state. False when `timeout` passed first.
    func waitUntilSettled(timeout: Duration) -> Bool {
        let (s, atto) = timeout.components
        let deadline = Date(timeIntervalSinceNow: Double(s) + Double(atto) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while !(parked && outstanding == 0 && inbox.isEmpty) {
            if !condition.wait(until: deadline) { return parked && outstanding == 0 && inbox.isEmpty }
        }
        return true
    }

    /// Refuses new work and wakes the engine thread.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes the engine thread (a cancellation or a resumed stream). Broadcast, since
    /// ``waitUntilSettled(timeout:)`` callers wait on the same condition.
    func wake() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }
}
