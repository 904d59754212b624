package io.piece4j.distributed;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1 for the tests: a master and N workers, each a JVM of its own started
 * from the jars Maven fetched (the test's class path), with no Spark distribution. Workers launch executors
 * with SPARK_HOME pointing at a folder whose jars/ links to Spark's jars; piece4j's own jars reach the
 * executors through spark.jars, as on a real cluster. close() stops every process, also when a test failed,
 * and each process also ends when the test JVM dies (see {@link ClusterProcess}).
 */
final class LoopbackCluster implements AutoCloseable {
    static final long START_TIMEOUT_S = 180;

    final Path dir;
    final int masterPort, masterUiPort;
    private Process master;
    private final List<Process> workers = new ArrayList<>();
    private final List<ProcessHandle> orphans = new ArrayList<>(); // executors of killed workers, ended at close() if still alive
    private final Thread shutdownHook = new Thread(this::destroyAll, "loopback-cluster-teardown");

    private LoopbackCluster(Path dir, int masterPort, int masterUiPort) {
        this.dir = dir;
        this.masterPort = masterPort;
        this.masterUiPort = masterUiPort;
    }

    /** Starts a master and the workers (one core each) and waits until every worker has registered. */
    static LoopbackCluster start(int workerCount, String workerMemory) throws Exception {
        LoopbackCluster c = new LoopbackCluster(Files.createTempDirectory("spark-cluster"), freePort(), freePort());
        Runtime.getRuntime().addShutdownHook(c.shutdownHook);
        try {
            Path home = c.sparkHome();
            c.master = c.launch("master", home, List.of("master", "--host", "127.0.0.1", "--port", String.valueOf(c.masterPort),
                    "--webui-port", String.valueOf(c.masterUiPort)));
            c.awaitPort(c.masterPort);
            for (int i = 0; i < workerCount; i++) {
                Path work = Files.createDirectories(c.dir.resolve("work-" + i));
                c.workers.add(c.launch("worker-" + i, home, List.of("worker", "--host", "127.0.0.1", "--port", "0", "--webui-port", "0",
                        "--cores", "1", "--memory", workerMemory, "--work-dir", work.toString(), c.url())));
            }
            c.awaitAliveWorkers(workerCount);
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    String url() { return "spark://127.0.0.1:" + masterPort; }

    /** The worker whose executor is the JVM pid, or -1. */
    int workerOf(long pid) {
        for (int i = 0; i < workers.size(); i++) {
            if (workers.get(i).isAlive() && workers.get(i).descendants().anyMatch(d -> d.pid() == pid)) return i;
        }
        return -1;
    }

    /**
     * Takes worker i off the cluster as a machine that drops off the network: its executor JVMs are suspended
     * (SIGSTOP, ended at close()) and the worker is SIGKILLed. An executor left running could finish its attempt
     * and hand the result in before the driver learned of the loss, and then no run was retried from a finished
     * task (seen once in CI: the run was one step from its end). A late writer that does run on is what the run
     * folder's fence (ContinualRun.ownedBy) stops; ContinualRunFenceTest covers it.
     */
    void killWorker(int i) throws Exception {
        Process w = workers.get(i);
        List<ProcessHandle> executors = w.descendants().toList();
        for (ProcessHandle e : executors) {
            // bash's own kill: no procps needed
            Process stop = new ProcessBuilder("bash", "-c", "kill -STOP " + e.pid()).redirectErrorStream(true).start();
            stop.waitFor(10, TimeUnit.SECONDS);
        }
        orphans.addAll(executors);
        w.destroyForcibly();
        w.waitFor(30, TimeUnit.SECONDS);
    }

    /** The last lines of every process's log and every executor's stderr, for a failure message. */
    String logs() {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.filter(p -> p.getFileName().toString().endsWith(".log") || p.getFileName().toString().equals("stderr")).toList()) {
                List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
                sb.append("--- ").append(dir.relativize(f)).append('\n');
                for (String l : lines.subList(Math.max(0, lines.size() - 15), lines.size())) sb.append(l).append('\n');
            }
        } catch (IOException | RuntimeException e) {
            sb.append("(logs unreadable: ").append(e.getMessage()).append(")");
        }
        return sb.toString();
    }

    @Override
    public void close() {
        destroyAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private void destroyAll() {
        List<Process> all = new ArrayList<>(workers);
        if (master != null) all.add(master);
        for (Process p : all) p.descendants().forEach(ProcessHandle::destroyForcibly);
        orphans.forEach(ProcessHandle::destroyForcibly);
        for (Process p : all) p.destroyForcibly();
        for (Process p : all) {
            try {
                p.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A SPARK_HOME whose jars/ links to every jar of the test class path but piece4j's (those go by spark.jars). */
    private Path sparkHome() throws IOException {
        Path jars = Files.createDirectories(dir.resolve("spark-home").resolve("jars"));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.getFileName() == null ? "" : p.getFileName().toString();
            if (!Files.isRegularFile(p) || !name.endsWith(".jar") || name.startsWith("piece4j-")) continue;
            Path link = jars.resolve(name);
            if (!Files.exists(link)) Files.createSymbolicLink(link, p.toAbsolutePath());
        }
        return jars.getParent();
    }

    private Process launch(String name, Path sparkHome, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("-Xmx256m");
        for (String o : SparkConnection.EXECUTOR_JAVA_OPTIONS.split(" ")) if (!o.startsWith("-Xss") && !o.startsWith("--add-modules")) cmd.add(o);
        cmd.add("-Dlog4j2.configurationFile=piece4j-spark-log4j2.properties");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ClusterProcess.class.getName());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", sparkHome.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().remove("SPARK_CONF_DIR");
        return pb.start(); // its stdin stays open: ClusterProcess ends when this JVM goes
    }

    private void awaitPort(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_S);
        while (System.nanoTime() < deadline) {
            if (!master.isAlive()) throw new IllegalStateException("the Spark master exited:\n" + logs());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException("the Spark master did not listen on " + port + " within " + START_TIMEOUT_S + " s:\n" + logs());
    }

    /** Polls the master's JSON status page until it counts n alive workers. */
    private void awaitAliveWorkers(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_S);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + masterUiPort + "/json/").toURL().openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(2000);
                last = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (last.replaceAll("\\s", "").contains("\"aliveworkers\":" + n)) return;
            } catch (IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(n + " workers did not register within " + START_TIMEOUT_S + " s (" + last + "):\n" + logs());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
