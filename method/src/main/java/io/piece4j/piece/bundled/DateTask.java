package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;

/** Conversion: a date written in words, in one of three styles, to ISO 8601 (YYYY-MM-DD); exact match. */
final class DateTask implements BundledTasks.Task {
    private static final String[] MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December"};
    private static final int[] DAYS = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    @Override public String name() { return "dates"; }
    @Override public String domain() { return "date conversion to ISO 8601"; }
    @Override public String metric() { return "exact-match"; }
    @Override public int maxNewTokens() { return 16; }

    @Override
    public BundledTasks.Item next(Rng rng) {
        int month = rng.nextInt(12), day = 1 + rng.nextInt(DAYS[month]), year = 1900 + rng.nextInt(200);
        String words = switch (rng.nextInt(3)) {
            case 0 -> MONTHS[month] + " " + day + ", " + year;
            case 1 -> day + " " + MONTHS[month] + " " + year;
            default -> "the " + ordinal(day) + " of " + MONTHS[month] + ", " + year;
        };
        String prompt = "Write the date in ISO form: " + words + "\nISO:";
        return new BundledTasks.Item(prompt, String.format(" %04d-%02d-%02d", year, month + 1, day));
    }

    static String ordinal(int n) {
        String suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }
}
