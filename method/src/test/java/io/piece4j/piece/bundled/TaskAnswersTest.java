package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each task's answers, checked by an independent reading of its prompts (or hand-computed cases). */
class TaskAnswersTest {
    private static final World WORLD = BundledBenchmark.world(2026);

    private static List<BundledTasks.Item> items(BundledTasks.Task task, int n) {
        return task.distinctItems(new Rng(99), n, BundledBenchmark.CONTEXT);
    }

    @Test
    void datesAreTheIsoFormOfTheDateInWordsAsJavaTimeReadsIt() {
        Pattern ordinal = Pattern.compile("the (\\d+)(st|nd|rd|th) of (\\w+), (\\d+)");
        DateTimeFormatter monthFirst = DateTimeFormatter.ofPattern("MMMM d, yyyy", Locale.ENGLISH);
        DateTimeFormatter dayFirst = DateTimeFormatter.ofPattern("d MMMM yyyy", Locale.ENGLISH);
        for (BundledTasks.Item it : items(new DateTask(), 300)) {
            String words = it.prompt().substring("Write the date in ISO form: ".length(), it.prompt().indexOf('\n'));
            Matcher m = ordinal.matcher(words);
            LocalDate date = m.matches() ? LocalDate.parse(m.group(3) + " " + m.group(1) + ", " + m.group(4), monthFirst)
                    : Character.isDigit(words.charAt(0)) ? LocalDate.parse(words, dayFirst) : LocalDate.parse(words, monthFirst);
            assertEquals(" " + date, it.answer(), words);
        }
        assertEquals("1st 2nd 3rd 4th 11th 12th 13th 21st 22nd 23rd 31st", String.join(" ",
                List.of(1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31).stream().map(DateTask::ordinal).toList()));
    }

    @Test
    void veliTranslationPutsAdjectivesAfterTheirNounsWordForWord() {
        assertEquals("ta vask gron tavi u tiro pim nokta", TranslationTask.toVeli("the big dog sees a small bird at night"));
        assertEquals("u pono meni ta dulan", TranslationTask.toVeli("a child likes the horse"));
        assertEquals("ta nira helde nami u rukka vemu ulda bei", TranslationTask.toVeli("the old woman feeds a tired fox by the river"));
        for (BundledTasks.Item it : items(new TranslationTask(), 200)) {
            String english = it.prompt().substring("Translate into Veli: ".length(), it.prompt().indexOf(".\n"));
            String[] words = english.split(" ");
            assertEquals(english.toLowerCase(Locale.ROOT).replace("by the river", "by-the-river").replace("at night", "at-night").split(" ").length,
                    it.answer().trim().replace("ulda bei", "ulda-bei").replace(".", "").split(" ").length,
                    "one Veli word per English word: " + english + " -> " + it.answer());
            assertTrue(words.length >= 5, english);
        }
    }

    @Test
    void categoryAnswersAreTheLetterOfTheThingsKindAmongSixFixedOptions() {
        Map<String, Integer> kindOf = new HashMap<>();
        String[][] words = {{"apple", "pear", "cherry", "grape", "peach", "lemon", "fig", "melon"},
            {"hammer", "saw", "chisel", "shovel", "wrench", "drill", "rake", "axe"},
            {"flute", "drum", "harp", "violin", "trumpet", "lute", "horn", "cello"},
            {"coat", "scarf", "glove", "boot", "shirt", "cloak", "hat", "sock"},
            {"cart", "boat", "wagon", "sled", "raft", "canoe", "carriage", "barge"},
            {"crow", "swan", "robin", "eagle", "heron", "finch", "sparrow", "hawk"}};
        for (int k = 0; k < words.length; k++) for (String w : words[k]) kindOf.put(w, k);
        int[] letters = new int[6];
        Pattern thing = Pattern.compile("[Tt]he (\\w+)( is|\\?| belong)");
        for (BundledTasks.Item it : items(new CategoryTask(WORLD), 300)) {
            assertTrue(it.prompt().endsWith("\nA) fruit B) tool C) musical instrument D) piece of clothing E) vehicle F) wild bird\nAnswer:"),
                    "the six kinds in their fixed order: " + it.prompt());
            Matcher m = thing.matcher(it.prompt());
            assertTrue(m.find() && kindOf.containsKey(m.group(1)), "the question names one of the 48 things: " + it.prompt());
            int kind = kindOf.get(m.group(1));
            assertTrue(it.prompt().contains(" a " + m.group(1)) || it.prompt().contains(" an " + m.group(1)),
                    "the sentence and the question name the same thing: " + it.prompt());
            assertEquals(" " + "ABCDEF".charAt(kind), it.answer(), it.prompt());
            letters[kind]++;
        }
        for (int l : letters) assertTrue(l > 30, "every letter is an answer often: " + java.util.Arrays.toString(letters));
    }

    @Test
    void codeAnswersAreIndentedForTheLineBefore() {
        for (BundledTasks.Item it : items(new CodeTask(), 200)) {
            String[] lines = it.prompt().split("\n");
            String last = lines[lines.length - 1];
            int indentLast = last.length() - last.stripLeading().length(), indentAnswer = it.answer().length() - it.answer().stripLeading().length();
            if (last.endsWith(":")) assertEquals(indentLast + 4, indentAnswer, "a block opens: " + it.prompt() + it.answer());
            else assertEquals(4, indentAnswer, "after the loop body comes the return: " + it.prompt() + it.answer());
        }
    }

    @Test
    void minutesSummariesStateTheDecisionTheOwnerAndTheDayOfTheNotes() {
        Pattern summary = Pattern.compile(" Decided to (\\w+) the ([\\w ]+); (\\w+) will ([\\w ]+); next meeting (\\w+)\\.");
        for (BundledTasks.Item it : items(new MinutesTask(WORLD), 200)) {
            Matcher m = summary.matcher(it.answer());
            assertTrue(m.matches(), it.answer());
            String notes = it.prompt();
            assertTrue(notes.contains(m.group(1) + " the " + m.group(2) + "."), "decision in the notes: " + notes);
            assertTrue(notes.contains(m.group(3) + " ") && notes.contains(m.group(4) + "."), "owner and task in the notes: " + notes);
            assertTrue(notes.contains(m.group(5) + "."), "day in the notes: " + notes);
        }
    }

    @Test
    void stanceLettersFollowTheRemarkAndAllThreeOccur() {
        int[] counts = new int[3];
        for (BundledTasks.Item it : items(new StanceTask(WORLD), 300)) {
            int letter = it.answer().charAt(1) - 'A';
            counts[letter]++;
            String text = it.prompt().substring(it.prompt().indexOf("Text: "), it.prompt().indexOf("\nOptions"));
            if (text.contains("vote against") || text.contains("terrible")) assertEquals(" B", it.answer(), text);
            if (text.contains("fully support") || text.contains("fine idea")) assertEquals(" A", it.answer(), text);
            if (text.contains("council will discuss") || text.contains("meeting about")) assertEquals(" C", it.answer(), text);
        }
        for (int c : counts) assertTrue(c > 70, "each stance is common: " + java.util.Arrays.toString(counts));
    }
}
