package io.piece4j.distributed;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A Spark master URL, checked before Spark is started: Spark's standalone client retries an absent master for
 * a minute and more before it gives up, so an unreachable spark://HOST:PORT is reported at once, in one line.
 */
final class MasterAddress {
    static final int CONNECT_TIMEOUT_MS = 3000;

    private MasterAddress() {}

    /** Fails with one clear line when no master of a spark:// URL accepts a connection; other masters are Spark's to check. */
    static void checkReachable(String master) {
        if (master == null || master.isBlank()) throw new IllegalArgumentException("--spark: expected a master URL such as local[2] or spark://HOST:7077");
        if (!master.startsWith("spark://")) return;
        List<String> failures = new ArrayList<>();
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0) throw new IllegalArgumentException("--spark " + master + ": expected spark://HOST:PORT, got '" + hostPort + "' without a port");
            String host = hostPort.substring(0, colon);
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--spark " + master + ": port '" + hostPort.substring(colon + 1) + "' is not a number");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
                return;
            } catch (IOException e) {
                failures.add(host + ":" + port + " (" + e.getMessage() + ")");
            }
        }
        throw new IllegalArgumentException("--spark " + master + ": no Spark master answers at " + String.join(", ", failures)
                + "; start one (sbin/start-master.sh, or org.apache.spark.deploy.master.Master) or check the URL");
    }
}
