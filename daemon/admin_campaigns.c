#include "admin_page.h"

int
admin_campaigns_route(struct areq *ar, int post)
{
	return 0;
}
