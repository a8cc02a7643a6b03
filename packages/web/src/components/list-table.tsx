import { Component, type ComponentChildren } from 'preact';

export interface Column<T> {
  label: string;
  cell(item: T): ComponentChildren;
  /** The row's name: a `th scope="row"` (one column a table). */
  rowHeader?: boolean;
  /** The heading is for screen readers only (a column of buttons). */
  hideLabel?: boolean;
  class?: string;
}

export interface ListTableProps<T> {
  items: readonly T[];
  /**
   * `false` leaves a column out (one a role may not use). Columns (and `rowAttributes`) that keep
   * their identity between renders, as module constants do, let a row whose item is the same object
   * skip drawing again: a list a stream updates redraws only the rows that changed.
   */
  columns: readonly (Column<T> | false)[];
  rowKey(item: T): string;
  /** Attributes of each row (the `data-*` that names what it shows). */
  rowAttributes?: (item: T) => Record<string, string>;
  caption?: string;
  class?: string;
  /** Shown instead of the table when there are no items; without it the empty table shows. */
  empty?: ComponentChildren;
}

interface RowProps<T> {
  item: T;
  columns: readonly (Column<T> | false)[];
  rowAttributes: ((item: T) => Record<string, string>) | undefined;
}

/** One row; drawn again only when its item, its columns or its attributes are other objects. */
class ListRow<T> extends Component<RowProps<T>> {
  override shouldComponentUpdate(next: RowProps<T>): boolean {
    return next.item !== this.props.item || next.columns !== this.props.columns || next.rowAttributes !== this.props.rowAttributes;
  }

  override render() {
    const { item, columns, rowAttributes } = this.props;
    return (
      <tr {...rowAttributes?.(item)}>
        {columns.map((column) => {
          if (column === false) return null;
          const label = column.hideLabel ? '' : column.label;
          return column.rowHeader ? (
            <th scope="row" data-label={label} class={column.class} key={column.label}>
              {column.cell(item)}
            </th>
          ) : (
            <td data-label={label} class={column.class} key={column.label}>
              {column.cell(item)}
            </td>
          );
        })}
      </tr>
    );
  }
}

/**
 * The views' list markup: a table whose rows become labelled blocks on narrow screens (each cell
 * carries its column's label), in a wrapper that scrolls rather than the page.
 */
export function ListTable<T>(props: ListTableProps<T>) {
  if (props.items.length === 0 && props.empty !== undefined) return <p class="muted">{props.empty}</p>;
  const columns = props.columns.filter((column): column is Column<T> => column !== false);
  return (
    <div class="table-wrap">
      <table class={props.class ? `list ${props.class}` : 'list'}>
        {props.caption ? <caption class="visually-hidden">{props.caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column.label}>
                {column.hideLabel ? <span class="visually-hidden">{column.label}</span> : column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.items.map((item) => (
            <ListRow key={props.rowKey(item)} item={item} columns={props.columns} rowAttributes={props.rowAttributes} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
