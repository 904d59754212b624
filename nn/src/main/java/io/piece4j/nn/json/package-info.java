/** The JSON reader every file format and tool of piece4j shares. */
package io.piece4j.nn.json;
