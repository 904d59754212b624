package io.piece4j.piece.data;

/** What to do with a record that is not {"prompt": string, "answer": non-empty string}. */
public enum BadRecordPolicy {
    /** Leave it out, count it and keep the message. */
    SKIP,
    /** Stop with an error naming the file and line. */
    REJECT
}
