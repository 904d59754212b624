/**
 * The OpenCL backend: typed java.lang.foreign bindings to the OpenCL 1.2 API ({@link io.piece4j.backend.opencl.OpenCl}),
 * device discovery and selection ({@link io.piece4j.backend.opencl.OpenClDevices}), and the backend SPI
 * implemented by OpenCL C kernels kept in one source tree (resources io/piece4j/backend/opencl/kernels).
 */
package io.piece4j.backend.opencl;
