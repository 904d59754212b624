package io.piece4j.backend.simd;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * A fixed set of daemon threads that run the tasks of one {@link #parallelFor} at a time; the calling
 * thread works too. Tasks are handed out dynamically (an atomic counter), so which thread runs a task
 * varies, but kernels only split work over independent outputs, so results do not depend on it.
 */
public final class WorkerPool implements AutoCloseable {
    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition(), finished = lock.newCondition();

    // the current job, guarded by lock
    private IntConsumer body;
    private int tasks;
    private final AtomicInteger next = new AtomicInteger();
    private int running;        // workers still inside the current job
    private long generation;    // bumps for every job so workers join each job once
    private Throwable failure;
    private boolean closed;

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, "piece-simd-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    public int threads() { return threads; }

    /** Runs body(task) for every task in [0, tasks); returns when all are done; rethrows the first failure. */
    public void parallelFor(int tasks, IntConsumer body) {
        if (tasks <= 0) return;
        if (tasks == 1 || workers.length == 0) {
            for (int i = 0; i < tasks; i++) body.accept(i);
            return;
        }
        lock.lock();
        try {
            if (closed) throw new IllegalStateException("worker pool is closed");
            this.body = body;
            this.tasks = tasks;
            this.next.set(0);
            this.failure = null;
            this.running = workers.length;
            this.generation++;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        runTasks(body, tasks);
        lock.lock();
        try {
            while (running > 0) finished.awaitUninterruptibly();
            this.body = null;
            if (failure != null) {
                Throwable f = failure;
                failure = null;
                if (f instanceof RuntimeException r) throw r;
                if (f instanceof Error e) throw e;
                throw new RuntimeException(f);
            }
        } finally {
            lock.unlock();
        }
    }

    private void runTasks(IntConsumer b, int n) {
        try {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) b.accept(i);
        } catch (Throwable t) {
            next.set(n); // stop handing out work
            lock.lock();
            try {
                if (failure == null) failure = t;
            } finally {
                lock.unlock();
            }
        }
    }

    private void workerLoop() {
        long seen = 0;
        while (true) {
            IntConsumer b;
            int n;
            lock.lock();
            try {
                while (!closed && generation == seen) work.awaitUninterruptibly();
                if (closed) return;
                seen = generation;
                b = body;
                n = tasks;
            } finally {
                lock.unlock();
            }
            runTasks(b, n);
            lock.lock();
            try {
                if (--running == 0) finished.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
