package io.piece4j.tests;

import io.piece4j.cli.PieceCli;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The core and the demo never see Apache Spark: it is not on their class path, the default build leaves the
 * distributed module out (only its profile adds it), and --spark without the module fails with one clear line.
 */
class SparkAbsentTest {
    private static Path root() {
        Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        return Files.isRegularFile(here.resolve("piece")) ? here : here.getParent();
    }

    @Test
    void sparkIsNotOnTheCoreClassPath() {
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.apache.spark.SparkContext"),
                "Spark must not be a dependency of the modules the demo runs from");
    }

    @Test
    void theDefaultBuildLeavesTheDistributedModuleToItsProfile() throws Exception {
        String pom = Files.readString(root().resolve("pom.xml"));
        Matcher modules = Pattern.compile("<project[^>]*>.*?<modules>(.*?)</modules>", Pattern.DOTALL).matcher(pom);
        assertTrue(modules.find(), "the root pom lists its modules");
        assertFalse(modules.group(1).contains("distributed"), "the default module list must not build Spark's module: " + modules.group(1));
        Matcher profile = Pattern.compile("<profile>\\s*<id>distributed</id>\\s*<modules>\\s*<module>distributed</module>").matcher(pom);
        assertTrue(profile.find(), "the distributed profile adds the module");
        String launcher = Files.readString(root().resolve("piece"));
        assertTrue(launcher.contains("mvn_cmd -q package -DskipTests"), "./piece build (the demo's first build) builds without the profile");
    }

    @Test
    void sparkOptionWithoutTheModuleFailsWithOneLine() throws Exception {
        Path out = Files.createTempDirectory("no-spark").resolve("out");
        StringWriter err = new StringWriter();
        CommandLine cl = PieceCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        ContinualFixture f = ContinualFixture.create();
        int code = cl.execute("continual", "--model", f.model.toString(), "--tokenizer", "byte", "--suite", f.suite.toString(),
                "--out", out.toString(), "--spark", "local[2]");
        String msg = err.toString().strip();
        assertEquals(2, code, msg);
        assertEquals(1, msg.lines().count(), "one line: " + msg);
        assertTrue(msg.startsWith("piece continual: --spark local[2]: the distributed module (Apache Spark) is not on the class path"), msg);
        assertFalse(Files.exists(out), "nothing written");
    }
}
