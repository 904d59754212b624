package io.piece4j.tests;

import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.BackendProvider;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The backends the cross-module suites run on. The system property {@code piece.expect.backends} (a comma list, set
 * in this module's surefire configuration, {@code simd} by default) names backends that must be there: they are
 * always listed, so a missing one fails its tests instead of silently leaving only {@code ref}.
 */
final class TestBackends {
    private TestBackends() {}

    static Set<String> expected() {
        String list = System.getProperty("piece.expect.backends", "");
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
    }

    /** ref, every expected backend and every other available one. */
    static Stream<String> all() {
        Set<String> names = new TreeSet<>(expected());
        names.add("ref");
        Backends.providers().stream().filter(BackendProvider::isAvailable).map(BackendProvider::name).forEach(names::add);
        return names.stream();
    }

    /** The backends compared with ref: all but ref itself. */
    static Stream<String> subjects() {
        return all().filter(n -> !n.equals("ref"));
    }
}
