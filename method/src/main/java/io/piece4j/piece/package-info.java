/** module piece */
package io.piece4j.piece;
