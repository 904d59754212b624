/** Charts of a continual run, written as PNG files. */
package io.piece4j.piece.continual.report;
