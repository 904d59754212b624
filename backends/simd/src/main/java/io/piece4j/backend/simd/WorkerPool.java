package io.piece4j.backend.simd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A fixed set of daemon threads that run the tasks of one {@link #parallelFor} at a time; the calling
 * thread works too, so a pool of T threads starts T - 1. Tasks are handed out from a shared counter, so
 * which thread runs a task varies from call to call: kernels split work only over independent outputs, so
 * their results do not depend on it.
 *
 * <p>Two things keep small jobs cheap on a busy machine. A worker spins for a few microseconds before it
 * parks, because kernels often issue jobs back to back (pack, compute, pack, ...) and waking a parked
 * thread costs tens of microseconds. And a worker must claim a seat in a job before it takes tasks; when
 * the caller has run out of tasks it closes the job and waits only for the workers that got in, never for
 * one the scheduler has not run yet.
 *
 * <p>A parallelFor called from inside a task runs its tasks inline; one called from a second thread while a
 * job runs waits its turn.
 */
public final class WorkerPool implements AutoCloseable {
    private static final long SPIN_NANOS = 50_000;
    /** Seats left after the caller closes a job: far below zero, so no late worker gets in. */
    private static final int CLOSED_SEATS = Integer.MIN_VALUE / 2;

    private final int threads;
    private final Thread[] workers;
    /** One job at a time; held by the calling thread for the whole job. */
    private final ReentrantLock jobLock = new ReentrantLock();
    private volatile Job current;
    private volatile boolean closed;

    /** One parallelFor call. */
    private static final class Job {
        final IntConsumer body;
        final int tasks;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        /** Workers that may still join; a worker joins by taking one, the caller closes the job by zeroing them. */
        final AtomicInteger seats;
        /** Workers that joined and have finished. */
        final AtomicInteger finished = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(IntConsumer body, int tasks, Thread caller, int seats) {
            this.body = body;
            this.tasks = tasks;
            this.caller = caller;
            this.seats = new AtomicInteger(seats);
        }

        void runTasks() {
            try {
                for (int i = next.getAndIncrement(); i < tasks; i = next.getAndIncrement()) body.accept(i);
            } catch (Throwable t) {
                next.set(tasks); // hand out no more work
                failure.compareAndSet(null, t);
            }
        }
    }

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, "piece-simd-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
        }
        for (Thread t : workers) t.start();
    }

    public int threads() { return threads; }

    /** Runs body(task) for every task in [0, tasks); returns when all are done; rethrows the first failure. */
    public void parallelFor(int tasks, IntConsumer body) {
        if (tasks <= 0) return;
        if (tasks == 1 || workers.length == 0 || insideJob()) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        jobLock.lock();
        try {
            if (closed) throw new IllegalStateException("worker pool is closed");
            Job job = new Job(body, tasks, Thread.currentThread(), Math.min(workers.length, tasks - 1));
            current = job;
            for (Thread w : workers) LockSupport.unpark(w);
            job.runTasks();
            int joined = Math.min(workers.length, tasks - 1) - Math.max(0, job.seats.getAndSet(CLOSED_SEATS));
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (job.finished.get() < joined) {
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.park(this); // the workers unpark us as they finish
            }
            current = null;
            Throwable f = job.failure.get();
            if (f instanceof RuntimeException r) throw r;
            if (f instanceof Error e) throw e;
            if (f != null) throw new RuntimeException(f);
        } finally {
            jobLock.unlock();
        }
    }

    /** True on a worker of this pool, or on the thread that is running a job of this pool right now. */
    private boolean insideJob() {
        Thread me = Thread.currentThread();
        Job job = current;
        if (job != null && job.caller == me) return true;
        for (Thread w : workers) if (w == me) return true;
        return false;
    }

    private void workerLoop() {
        Job seen = null;
        while (true) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            Job job;
            while ((job = current) == null || job == seen) {
                if (closed) return;
                if (System.nanoTime() < spinUntil) Thread.onSpinWait();
                else LockSupport.park(this); // parallelFor and close unpark us
            }
            seen = job;
            if (job.seats.getAndDecrement() > 0) {
                job.runTasks();
                job.finished.incrementAndGet();
                LockSupport.unpark(job.caller);
            }
        }
    }

    /** Waits for a running job, then stops the workers; later parallelFor calls with more than one task fail. */
    @Override
    public void close() {
        jobLock.lock();
        try {
            closed = true;
            for (Thread w : workers) LockSupport.unpark(w);
        } finally {
            jobLock.unlock();
        }
    }
}
