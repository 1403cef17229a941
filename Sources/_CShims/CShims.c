#include "CShims.h"

MPI_Comm mtp_mpi_comm_world(void) { return MPI_COMM_WORLD; }
MPI_Comm mtp_mpi_comm_null(void) { return MPI_COMM_NULL; }
MPI_Datatype mtp_mpi_double(void) { return MPI_DOUBLE; }
MPI_Datatype mtp_mpi_int64(void) { return MPI_INT64_T; }
MPI_Datatype mtp_mpi_char(void) { return MPI_CHAR; }
MPI_Op mtp_mpi_sum(void) { return MPI_SUM; }
MPI_Op mtp_mpi_max(void) { return MPI_MAX; }
MPI_Op mtp_mpi_min(void) { return MPI_MIN; }
void *mtp_mpi_in_place(void) { return MPI_IN_PLACE; }
int mtp_mpi_undefined(void) { return MPI_UNDEFINED; }
MPI_Info mtp_mpi_info_null(void) { return MPI_INFO_NULL; }
MPI_Errhandler mtp_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }

hid_t mtp_h5p_default(void) { return H5P_DEFAULT; }
hid_t mtp_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
hid_t mtp_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
hid_t mtp_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
hid_t mtp_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
hid_t mtp_h5t_c_s1(void) { return H5T_C_S1; }
hid_t mtp_h5p_file_access(void) { return H5P_FILE_ACCESS; }
hid_t mtp_h5p_dataset_xfer(void) { return H5P_DATASET_XFER; }
hid_t mtp_h5p_group_create(void) { return H5P_GROUP_CREATE; }
hid_t mtp_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
hid_t mtp_h5p_file_create(void) { return H5P_FILE_CREATE; }
hid_t mtp_h5s_all(void) { return H5S_ALL; }
unsigned mtp_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
unsigned mtp_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
unsigned mtp_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
hid_t mtp_h5e_default(void) { return H5E_DEFAULT; }
size_t mtp_h5t_variable(void) { return H5T_VARIABLE; }
hid_t mtp_h5t_native_hsize(void) { return H5T_NATIVE_HSIZE; }
