package io.piece4j.backend.simd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs this module's kernel tests in the JVM it is started in; {@link SimdLaneWidthTest} starts it with
 * another vector width. The JUnit launcher is not on the test class path, so this walks the test methods
 * itself: a {@code @Test} runs once, a {@code @ParameterizedTest} once per argument set of its
 * {@code @MethodSource} or {@code @ValueSource(ints)}; any other kind of test is refused, so none is skipped
 * unnoticed. Exit status 0 when every test passed, 1 otherwise.
 */
public final class KernelSuiteMain {
    private KernelSuiteMain() {}

    static final Class<?>[] KERNEL_TESTS = {LaneMathTest.class, SimdElementwiseTest.class, SimdNormsTest.class,
            SimdSoftmaxTest.class, SimdRopeTest.class, SimdAttentionTest.class, SimdBackendTest.class, SimdPackedLinearTest.class};

    public static void main(String[] args) throws ReflectiveOperationException {
        int passed = 0;
        List<String> failures = new ArrayList<>();
        for (Class<?> c : KERNEL_TESTS) {
            for (Method m : c.getDeclaredMethods()) {
                for (Object[] arguments : argumentSets(c, m)) {
                    String name = c.getSimpleName() + "." + m.getName() + Arrays.deepToString(arguments);
                    try {
                        var ctor = c.getDeclaredConstructor();
                        ctor.setAccessible(true);
                        m.setAccessible(true);
                        m.invoke(ctor.newInstance(), arguments);
                        passed++;
                    } catch (InvocationTargetException e) {
                        failures.add(name + ": " + e.getCause());
                    }
                }
            }
        }
        System.out.println("lanes " + SimdSpecies.FLOAT.length() + ": " + passed + " passed, " + failures.size() + " failed");
        failures.stream().limit(10).forEach(System.out::println);
        System.exit(failures.isEmpty() && passed > 0 ? 0 : 1);
    }

    /** The argument lists m runs with: none if it is not a test, one empty list for a plain test. */
    private static List<Object[]> argumentSets(Class<?> c, Method m) throws ReflectiveOperationException {
        if (m.isAnnotationPresent(Test.class)) return List.<Object[]>of(new Object[0]);
        if (!m.isAnnotationPresent(ParameterizedTest.class)) return List.of();
        List<Object[]> sets = new ArrayList<>();
        ValueSource values = m.getAnnotation(ValueSource.class);
        MethodSource source = m.getAnnotation(MethodSource.class);
        if (values != null && values.ints().length > 0) {
            for (int v : values.ints()) sets.add(new Object[]{v});
        } else if (source != null && source.value().length == 1) {
            Method factory = c.getDeclaredMethod(source.value()[0]);
            factory.setAccessible(true);
            Object produced = factory.invoke(null);
            Stream<?> items = produced instanceof Stream<?> s ? s
                    : produced instanceof int[] ints ? Arrays.stream(ints).boxed()
                    : Arrays.stream((Object[]) produced);
            items.forEach(item -> sets.add(item instanceof Arguments a ? a.get() : new Object[]{item}));
        } else {
            throw new IllegalStateException(c.getSimpleName() + "." + m.getName() + ": only @MethodSource(one factory) and "
                    + "@ValueSource(ints) are run here; teach KernelSuiteMain the new kind of source");
        }
        return sets;
    }
}
