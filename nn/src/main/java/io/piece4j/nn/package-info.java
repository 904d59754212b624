/** module nn */
package io.piece4j.nn;
