#ifndef MTP_CSHIMS_H
#define MTP_CSHIMS_H
/* What Swift cannot import from MPI and HDF5: their handles are macros
 * (MPI_COMM_WORLD, MPI_IN_PLACE, H5P_DEFAULT, H5T_NATIVE_DOUBLE, ...).
 * Each is returned by a function of the same spirit; nothing else lives here. */
#include <mpi.h>
#include <hdf5.h>

MPI_Comm mtp_mpi_comm_world(void);
MPI_Comm mtp_mpi_comm_null(void);
MPI_Datatype mtp_mpi_double(void);
MPI_Datatype mtp_mpi_int64(void);
MPI_Datatype mtp_mpi_char(void);
MPI_Op mtp_mpi_sum(void);
MPI_Op mtp_mpi_max(void);
MPI_Op mtp_mpi_min(void);
void *mtp_mpi_in_place(void);
int mtp_mpi_undefined(void);
MPI_Info mtp_mpi_info_null(void);
MPI_Errhandler mtp_mpi_errors_return(void);

hid_t mtp_h5p_default(void);
hid_t mtp_h5t_native_double(void);
hid_t mtp_h5t_native_int64(void);
hid_t mtp_h5t_native_int32(void);
hid_t mtp_h5t_native_uint8(void);
hid_t mtp_h5t_c_s1(void);
hid_t mtp_h5p_file_access(void);
hid_t mtp_h5p_dataset_xfer(void);
hid_t mtp_h5p_group_create(void);
hid_t mtp_h5p_dataset_create(void);
hid_t mtp_h5p_file_create(void);
hid_t mtp_h5s_all(void);
unsigned mtp_h5f_acc_rdonly(void);
unsigned mtp_h5f_acc_rdwr(void);
unsigned mtp_h5f_acc_trunc(void);
hid_t mtp_h5e_default(void);
size_t mtp_h5t_variable(void);
hid_t mtp_h5t_native_hsize(void);
#endif
