#include "admin_page.h"

int
admin_reports_route(struct areq *ar, int post)
{
	return 0;
}
