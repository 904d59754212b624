package io.piece4j.distributed;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Spark's own count of the bytes executors sent back (each task's serialized result: values plus Spark's
 * envelope of metrics) for the jobs of one job group, from its listener bus.
 */
final class TaskResultBytes extends SparkListener {
    private final String group;
    private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong tasks = new AtomicLong();

    TaskResultBytes(String group) { this.group = group; }

    static TaskResultBytes register(JavaSparkContext sc, String group) {
        TaskResultBytes l = new TaskResultBytes(group);
        sc.sc().addSparkListener(l);
        return l;
    }

    void unregister(JavaSparkContext sc) { sc.sc().removeSparkListener(this); }

    @Override
    public void onJobStart(SparkListenerJobStart e) {
        if (e.properties() != null && group.equals(e.properties().getProperty("spark.jobGroup.id"))) {
            for (Object id : scala.jdk.javaapi.CollectionConverters.asJava(e.stageIds())) stages.add((Integer) id);
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd e) {
        if (!stages.contains(e.stageId()) || e.taskMetrics() == null) return;
        bytes.addAndGet(e.taskMetrics().resultSize());
        tasks.incrementAndGet();
    }

    /** Bytes counted once at least expectedTasks tasks have been seen (the bus is asynchronous), or after 10 s. */
    long bytes(long expectedTasks) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (tasks.get() < expectedTasks && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return bytes.get();
    }

    long tasks() { return tasks.get(); }
}
