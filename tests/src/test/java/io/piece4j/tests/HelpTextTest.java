package io.piece4j.tests;

import io.piece4j.piece.continual.methods.MethodCatalog;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The help a new user reads first is printed as written: no picocli format warnings, no empty lists. */
class HelpTextTest {

    @Test
    void theCommandListPrintsThePercentSignWithoutAFormatWarning() {
        PieceRun r = PieceRun.of("--help").ok();
        String all = r.out() + r.err();
        assertFalse(all.contains("picocli WARN"), all);
        assertTrue(r.out().replaceAll("\\s+", " ").contains("a random mask (0.1 % each)"), r.out());
    }

    @Test
    void continualHelpListsEveryMethodTheCatalogKnows() {
        String help = PieceRun.of("continual", "--help").ok().out().replaceAll("\\s+", " ");
        int at = help.indexOf("--methods=<methods>[,<methods>...] methods to run");
        assertTrue(at >= 0, help);
        String line = help.substring(at, help.indexOf("--model=", at));
        for (String m : MethodCatalog.names()) assertTrue(line.contains(m), m + " missing from: " + line);
    }
}
